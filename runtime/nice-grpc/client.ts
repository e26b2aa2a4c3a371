import type { Attributes } from '@opentelemetry/api';
import { Metadata, type CallOptions } from 'nice-grpc';
import { context, diag } from '../api.js';
import { carrierSetter } from '../carriers.js';
import { sdkSafely } from '../span.js';
import { activeTracer } from '../tracer.js';
import { ClientSpan, endsWithIteration, endsWithResponse } from '../rpc-core/client-span.js';
import { metadataAttributes } from '../rpc-core/metadata.js';
import type { GrpcTagOptions } from '../rpc-core/options.js';
import { addressAttributes } from '../rpc-core/peer.js';
import { ask } from '../rpc-core/status.js';

/** One method of a service definition, as nice-grpc accepts them (ts-proto's generic definitions, or grpc-js's). */
interface MethodInfo {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

type DefaultCallOptions = Record<string, CallOptions | undefined>;
type Method = (request: unknown, options?: CallOptions) => unknown;

/**
 * A `@traced grpc.client` tag on a nice-grpc client construction: `createClient(Definition,
 * channel, defaultCallOptions?)`, or `factory.create(...)` of a client factory with middleware.
 * The client is made as written; each of its methods is then traced from the outside, so the
 * span sees what the caller sees after every middleware (one span for a call that a middleware
 * retries, the DEADLINE_EXCEEDED of nice-grpc's deadline middleware). The span's context goes
 * into a copy of the metadata the call would send (its own, else the defaults').
 */
export function create(target: unknown, callee: string | Function, args: unknown[], options?: GrpcTagOptions): unknown {
  const client = (typeof callee === 'string' ? (target as Record<string, Function>)[callee]!(...args) : callee(...args)) as Record<string, Method>;
  const [definition, channel, defaults = {}] = args as [unknown, unknown, DefaultCallOptions?];
  const server = addressAttributes('server', ask(() => (channel as { getTarget(): string }).getTarget()));
  const traced: Record<string, Method> = { ...client };
  for (const key of Object.keys(client)) {
    const method = methodInfo(definition, key);
    if (method === undefined) {
      diag.warn(`spanweave: ${key}() of a nice-grpc client is not in the service definition it was created with; its calls are not traced`);
      continue;
    }
    traced[key] = tracedMethod(client[key]!, method, defaults[key]?.metadata ?? defaults['*']?.metadata, server, options);
  }
  return traced;
}

function tracedMethod(call: Method, method: MethodInfo, defaultMetadata: Metadata | undefined, server: Attributes, options: GrpcTagOptions | undefined): Method {
  return (request, callOptions = {}) => {
    const tracer = activeTracer();
    const metadata = Metadata(callOptions.metadata ?? defaultMetadata);
    const outgoing = {
      system: 'grpc',
      method: method.path.slice(1),
      server,
      attributes: metadataAttributes(options?.metadata, (key) => metadata.getAll(key), 'request'),
      carrier: metadata,
      setter: carrierSetter,
    };
    const span = tracer && sdkSafely(() => new ClientSpan(tracer, context.active(), outgoing, options));
    if (span === undefined) return call(request, callOptions);
    if (method.requestStream) span.messages?.observeIterable(request as AsyncIterable<unknown>, 'sent');
    else span.messages?.sent();
    const result = call(request, { ...callOptions, metadata });
    if (method.responseStream) return endsWithIteration(span, result as AsyncIterable<unknown>);
    return endsWithResponse(span, result as Promise<unknown>);
  };
}

/** `/package.Service/Method` and the streaming of `key` in a ts-proto or grpc-js service definition. */
function methodInfo(definition: unknown, key: string): MethodInfo | undefined {
  const { fullName, methods } = (definition ?? {}) as { fullName?: unknown; methods?: Record<string, { name?: unknown; requestStream?: unknown; responseStream?: unknown }> };
  const generic = typeof fullName === 'string' ? methods?.[key] : undefined;
  if (generic && typeof generic.name === 'string') return { path: `/${fullName}/${generic.name}`, requestStream: generic.requestStream === true, responseStream: generic.responseStream === true };
  const grpcJs = (definition as Record<string, Partial<MethodInfo>> | undefined)?.[key];
  return grpcJs && typeof grpcJs.path === 'string' ? { path: grpcJs.path, requestStream: grpcJs.requestStream === true, responseStream: grpcJs.responseStream === true } : undefined;
}
