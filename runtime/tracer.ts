import type { MeterProvider, ProxyTracerProvider as ProxyTracerProviderType, Tracer, TracerProvider } from '@opentelemetry/api';
import { ProxyTracerProvider, trace } from './api.js';
import { VERSION } from './version.js';

const SCOPE_NAME = 'spanweave';
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * The object in which every copy of @opentelemetry/api 1.x registers its globals. Reading it from
 * `globalThis` costs more than the rest of an untraced call (a symbol-keyed load on the global
 * object), so it is read once and kept: the API creates it at the first registration and never
 * replaces it, and unregistering only deletes its members.
 */
const REGISTRY_KEY = Symbol.for('opentelemetry.js.api.1');
interface Registry {
  trace?: TracerProvider;
  metrics?: MeterProvider;
}

let registry: Registry | undefined;
let watching = false;
let seenGlobal: TracerProvider | undefined | null = null; // null: not read yet
let provider: TracerProvider = NOOP_PROVIDER;
let knownDelegate: TracerProvider | undefined;
let knownTracer: Tracer | undefined;

/**
 * The tracer of the SDK registered now, or undefined when none is (the no-op fast path).
 * Checked per call, so an SDK registered after import, replaced, or registered through another
 * copy of @opentelemetry/api (ESM beside CommonJS) takes effect at once; each check is a few
 * property reads, and the API is asked again only when the registered global changes.
 */
export function activeTracer(): Tracer | undefined {
  // No registry yet means no copy of the API has registered anything: certainly no SDK.
  if (registry === undefined && (watching || !findRegistry())) return undefined;
  const global = registry!.trace;
  if (global !== seenGlobal) {
    seenGlobal = global;
    provider = trace.getTracerProvider();
  }
  const delegate = hasDelegate(provider) ? provider.getDelegate() : provider;
  if (delegate !== knownDelegate) {
    knownDelegate = delegate;
    knownTracer = isNoop(delegate) ? undefined : delegate.getTracer(SCOPE_NAME, VERSION);
  }
  return knownTracer;
}

/** The API's global registry, once any copy of the API has registered something there. */
export function globalRegistry(): Registry | undefined {
  if (registry === undefined && !watching) findRegistry();
  return registry;
}

/**
 * Takes the registry if it exists. If not, watches for its creation with an accessor on
 * `globalThis` that becomes a plain data property again at the first registration, so that no
 * call has to read the global object until then. Where `globalThis` cannot be changed (a frozen
 * realm), each call reads it instead.
 */
function findRegistry(): boolean {
  const global = globalThis as Record<symbol, Registry | undefined>;
  registry = global[REGISTRY_KEY];
  if (registry !== undefined) return true;
  try {
    Object.defineProperty(globalThis, REGISTRY_KEY, {
      configurable: true,
      enumerable: false,
      get: () => undefined,
      set(value: Registry) {
        Object.defineProperty(globalThis, REGISTRY_KEY, { value, writable: true, configurable: true, enumerable: true });
        registry = value;
      },
    });
    watching = true;
  } catch {
    // Frozen globalThis: findRegistry runs on every call until something registers.
  }
  return false;
}

function hasDelegate(candidate: TracerProvider): candidate is ProxyTracerProviderType {
  return typeof (candidate as Partial<ProxyTracerProviderType>).getDelegate === 'function';
}

// Another copy of the API has its own no-op provider object; its class name still tells.
function isNoop(candidate: TracerProvider): boolean {
  return candidate === NOOP_PROVIDER || candidate.constructor?.name === 'NoopTracerProvider';
}
