import type { TextMapSetter, Tracer } from '@opentelemetry/api';
import { context, diag } from '../api.js';
import { headersSetter } from '../headers.js';
import { sdkSafely } from '../span.js';
import { activeTracer } from '../tracer.js';
import { ClientSpan, endsWithIteration, endsWithResponse } from '../rpc-core/client-span.js';
import { metadataAttributes } from '../rpc-core/metadata.js';
import type { GrpcTagOptions } from '../rpc-core/options.js';
import { addressAttributes } from '../rpc-core/peer.js';
import { ask, describe, statusOf } from '../rpc-core/status.js';
import { carriesTraceHeaders } from '../trace-header-origins.js';

/** The method descriptor a Connect client hands its transport (`DescMethod` of @bufbuild/protobuf). */
interface MethodDescriptor {
  readonly name: string;
  readonly parent: { readonly typeName: string };
}

type Send<R> = (method: MethodDescriptor, signal: unknown, timeoutMs: unknown, header: unknown, input: unknown, contextValues?: unknown) => Promise<R>;

/** Connect's `Transport`: what `createConnectTransport`, `createGrpcTransport` and `createGrpcWebTransport` make. */
export interface Transport {
  unary: Send<{ message: unknown }>;
  stream: Send<{ message: AsyncIterable<unknown> }>;
}

export function isTransport(value: unknown): value is Transport {
  return typeof value === 'object' && value !== null && typeof (value as Transport).unary === 'function' && typeof (value as Transport).stream === 'function';
}

/**
 * A `@traced grpc.client` tag on a Connect construction, `createClient(Service, transport)` or a
 * transport's (`createConnectTransport({ baseUrl, ... })`): the call runs as written, with the
 * transport (given or made) replaced by one that gives every call a CLIENT span and injects its
 * context into the request headers. Anything else is returned unchanged, with a warning.
 */
export function create(target: unknown, callee: string | Function, args: unknown[], options?: GrpcTagOptions): unknown {
  const [first, second] = args;
  const transported = isTransport(second);
  if (transported) args = [first, tracedTransport(second, undefined, options), ...args.slice(2)];
  const result = typeof callee === 'string' ? (target as Record<string, Function>)[callee]!(...args) : callee(...args);
  if (transported) return result;
  if (isTransport(result)) return tracedTransport(result, (first as { baseUrl?: unknown } | undefined)?.baseUrl, options);
  diag.warn('spanweave: @traced grpc.client is on a Connect call that neither takes a transport (createClient) nor makes one (createConnectTransport, createGrpcTransport, createGrpcWebTransport); its calls are not traced');
  return result;
}

/**
 * The same transport, each call of which has a CLIENT span; `baseUrl` (in a page, relative to its
 * address) gives `server.address` / `server.port`, and whether calls carry the context there.
 */
function tracedTransport(transport: Transport, baseUrl: unknown, options: GrpcTagOptions | undefined): Transport {
  const url = typeof baseUrl === 'string' ? ask(() => new URL(baseUrl, (globalThis as { location?: { href?: string } }).location?.href)) : undefined;
  const server = (url && addressAttributes('server', url.host)) ?? {};
  const start = (tracer: Tracer, method: MethodDescriptor, header: unknown): { span: ClientSpan; headers: Headers } | undefined =>
    sdkSafely(() => {
      const headers = new Headers(header as ConstructorParameters<typeof Headers>[0]);
      const outgoing = {
        system: 'connectrpc',
        method: `${method.parent.typeName}/${method.name}`,
        server,
        attributes: metadataAttributes(options?.metadata, (key) => [headers.get(key)], 'request'),
        carrier: carriesTraceHeaders(url) ? headers : undefined,
        setter: headersSetter as TextMapSetter<unknown>,
      };
      return { span: new ClientSpan(tracer, context.active(), outgoing, options), headers };
    });
  return {
    unary(method, signal, timeoutMs, header, input, contextValues) {
      const tracer = activeTracer();
      const started = tracer && start(tracer, method, header);
      if (started === undefined) return transport.unary(method, signal, timeoutMs, header, input, contextValues);
      const { span, headers } = started;
      span.messages?.sent();
      return endsWithResponse(span, transport.unary(method, signal, timeoutMs, headers, input, contextValues));
    },
    stream(method, signal, timeoutMs, header, input, contextValues) {
      const tracer = activeTracer();
      const started = tracer && start(tracer, method, header);
      if (started === undefined) return transport.stream(method, signal, timeoutMs, header, input, contextValues);
      const { span, headers } = started;
      if (span.messages) span.messages.observeIterable(input as AsyncIterable<unknown>, 'sent');
      return transport.stream(method, signal, timeoutMs, headers, input, contextValues).then(
        (response) => ({ ...response, message: endsWithIteration(span, response.message) }),
        (error: unknown) => {
          span.end(statusOf(error), describe(error));
          throw error;
        },
      );
    },
  };
}
