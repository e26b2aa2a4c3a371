import type { Tracer } from '@opentelemetry/api';
import { merged, type AttributeSource } from '../attributes.js';
import { carrierGetter } from '../carriers.js';
import type { GrpcTagOptions } from '../rpc-core/options.js';
import { addressAttributes } from '../rpc-core/peer.js';
import { metadataAttributes } from '../rpc-core/metadata.js';
import { countRequests, settledBy, type ServerStack } from '../rpc-core/served.js';
import { ServerSpan } from '../rpc-core/server-span.js';
import { warnOnce } from '../process-warning.js';
import { Status, statusOf } from '../rpc-core/status.js';

/** nice-grpc handlers `(request | requests, context: CallContext)`. */
export const niceGrpcServer: ServerStack = {
  recognise(tracer, name, args, attributes, options) {
    const handler = args[1];
    if (!isNiceContext(handler)) return undefined;
    const span = niceServerSpan(tracer, name, handler, attributes, options);
    countRequests(span, args[0]);
    return { span, second: handler, rules: NICE_GRPC };
  },
};

/** The parts of nice-grpc's `CallContext` (a handler's second argument) the runtime reads. */
export interface NiceCallContext {
  readonly metadata: { get(key: string): unknown; getAll(key: string): unknown[] };
  readonly peer?: string;
  readonly signal: AbortSignal;
}

function isNiceContext(value: unknown): value is NiceCallContext {
  const context = value as Partial<NiceCallContext> | null;
  return typeof context === 'object' && context !== null && typeof context.metadata?.getAll === 'function' && typeof (context as { sendHeader?: unknown }).sendHeader === 'function';
}

/**
 * The SERVER span of a nice-grpc handler (`server.add(Definition, impl)`). nice-grpc hands a
 * handler no method name, so the transformer resolves it from the service definition at compile
 * time (`options.method`) or names the definition it reads at run time (`options.definition`);
 * without either the span is named as the conventions say for an unknown method (`grpc`,
 * `rpc.method` = `_OTHER`), after one process warning. Its end: return, throw (a
 * `ServerError`'s code), or the abort of `context.signal` (CANCELLED: nice-grpc does not tell a
 * handler its deadline, so one that expires shows as a cancel).
 */
export function niceServerSpan(tracer: Tracer, name: string, handler: NiceCallContext, attributes: AttributeSource | undefined, options: GrpcTagOptions | undefined): ServerSpan {
  const known = options?.method ?? (options?.definition && definedMethod(options.definition.service, options.definition.key));
  const method = known ?? unknownMethod(name);
  const span = new ServerSpan(
    tracer,
    {
      system: 'grpc',
      method,
      carrier: handler.metadata,
      getter: carrierGetter,
      attributes: merged(
        addressAttributes('network.peer', handler.peer),
        metadataAttributes(options?.metadata, (key) => handler.metadata.getAll(key), 'request'),
        known === undefined && { 'code.function.name': name },
      ),
    },
    attributes,
    options,
  );
  span.endOnAbort(handler.signal);
  return span;
}

/**
 * `package.Service/Method` of `key` in a service definition object, as the plugin reads it from
 * the definition's type: ts-proto's generic definitions (`fullName`, `methods.<key>.name`) and
 * grpc-js service definitions (`<key>.path`).
 */
function definedMethod(service: unknown, key: string): string | undefined {
  const definition = service as { fullName?: unknown; methods?: Record<string, { name?: unknown } | undefined> } & Record<string, { path?: unknown } | undefined>;
  if (typeof definition !== 'object' || definition === null) return undefined;
  const name = definition.methods?.[key]?.name;
  if (typeof definition.fullName === 'string' && typeof name === 'string') return `${definition.fullName}/${name}`;
  const path = definition[key]?.path;
  return typeof path === 'string' ? path.replace(/^\//, '') : undefined;
}

/** `_OTHER`, after one process warning per handler naming the fix. */
function unknownMethod(name: string): string {
  warnOnce(
    `nice-grpc ${name}`,
    'SPANWEAVE_UNKNOWN_METHOD',
    () =>
      `spanweave: the nice-grpc handler ${name} has no method name: nice-grpc does not pass one to handlers, and the build found no service definition for it, so its spans are named "grpc" with rpc.method "_OTHER". ` +
      'Type the implementation as ServiceImplementation<typeof XDefinition> (or implement the generated XServiceImplementation), or give it to server.add(XDefinition, impl) in the file that declares it.',
  );
  return '_OTHER';
}

/** nice-grpc answers a `ServerError` with its code, an `AbortError` with CANCELLED and anything else with UNKNOWN. */
function niceStatusOf(error: unknown): number {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'ServerError' || name === 'AbortError' ? statusOf(error) : Status.UNKNOWN;
}

const NICE_GRPC = settledBy(niceStatusOf);
