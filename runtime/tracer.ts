import { ProxyTracerProvider, trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { VERSION } from './version.js';

const SCOPE_NAME = 'spanweave';
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

let knownProvider: TracerProvider | undefined;
let knownTracer: Tracer | undefined;

/**
 * The tracer of the SDK registered now, or undefined when none is (the no-op fast path).
 * Looked up per call so that an SDK registered after import, or replaced, takes effect; the
 * global is read rather than a tracer kept from import time because the SDK may have registered
 * through another copy of @opentelemetry/api (ESM beside CommonJS).
 */
export function activeTracer(): Tracer | undefined {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider || hasDelegate(global) ? global.getDelegate() : global;
  if (provider !== knownProvider) {
    knownProvider = provider;
    knownTracer = isNoop(provider) ? undefined : provider.getTracer(SCOPE_NAME, VERSION);
  }
  return knownTracer;
}

function hasDelegate(provider: TracerProvider): provider is ProxyTracerProvider {
  return typeof (provider as Partial<ProxyTracerProvider>).getDelegate === 'function';
}

// Another copy of the API has its own no-op provider object; its class name still tells.
function isNoop(provider: TracerProvider): boolean {
  return provider === NOOP_PROVIDER || provider.constructor?.name === 'NoopTracerProvider';
}
