import type { Tracer } from '@opentelemetry/api';
import { merged, type AttributeSource } from '../attributes.js';
import { carrierGetter } from '../carriers.js';
import type { GrpcTagOptions } from '../rpc-core/options.js';
import { addressAttributes } from '../rpc-core/peer.js';
import { metadataAttributes } from '../rpc-core/metadata.js';
import { countRequests, settledBy, type ServerStack } from '../rpc-core/served.js';
import { ServerSpan } from '../rpc-core/server-span.js';
import { ask, Status, statusOf } from '../rpc-core/status.js';

/** Connect handlers `(request | requests, context: HandlerContext)`. */
export const connectServer: ServerStack = {
  recognise(tracer, name, args, attributes, options) {
    const handler = args[1];
    if (!isConnectContext(handler)) return undefined;
    const span = connectServerSpan(tracer, handler, attributes, options);
    countRequests(span, args[0]);
    return { span, second: handler, rules: CONNECT };
  },
};

/** The parts of Connect's `HandlerContext` (a handler's second argument) the runtime reads. */
export interface ConnectHandlerContext {
  readonly method: { readonly name: string };
  readonly service: { readonly typeName: string };
  readonly requestHeader: { get(name: string): string | null };
  readonly signal: AbortSignal;
  /**
   * The request's own signal, aborted when the client resets the stream or closes the connection
   * (Connect's `createHandlerContext` keeps its init's fields on the context it makes).
   */
  readonly requestSignal?: AbortSignal;
  readonly url?: string;
  timeoutMs?(): number | undefined;
}

function isConnectContext(value: unknown): value is ConnectHandlerContext {
  const context = value as Partial<ConnectHandlerContext> | null;
  return typeof context === 'object' && context !== null && typeof context.requestHeader?.get === 'function' && typeof context.service?.typeName === 'string' && typeof context.method?.name === 'string';
}

/**
 * The SERVER span of a Connect handler (`router.service(Desc, impl)`), served over the Connect,
 * gRPC or gRPC-Web protocol: `rpc.system.name` is `connectrpc` (the conventions' Connect document),
 * the method and the caller's context come from the handler context, and an abort of its signal
 * (the client went away, the deadline passed) ends the span (see `endOnAbort`).
 */
export function connectServerSpan(tracer: Tracer, handler: ConnectHandlerContext, attributes: AttributeSource | undefined, options: GrpcTagOptions | undefined): ServerSpan {
  const timeout = ask(() => handler.timeoutMs?.());
  const deadline = typeof timeout === 'number' ? Date.now() + timeout : undefined;
  const span = new ServerSpan(
    tracer,
    {
      system: 'connectrpc',
      method: `${handler.service.typeName}/${handler.method.name}`,
      carrier: handler.requestHeader,
      getter: carrierGetter,
      attributes: merged(
        addressAttributes('server', hostOf(handler.url)),
        metadataAttributes(options?.metadata, (key) => [handler.requestHeader.get(key)], 'request'),
      ),
      deadline: () => deadline,
    },
    attributes,
    options,
  );
  endOnAbort(span, handler, deadline !== undefined);
  return span;
}

/**
 * Ends the span when the handler's signal aborts. The server's own deadline and an abort of its own
 * (shutdown, `context.abort`) give their status. The client going away (its request's signal) is a
 * cancellation, whatever code Connect makes of the HTTP/2 reset: a Connect client resets with
 * INTERNAL_ERROR when its call ends for any reason but a cancel, at its deadline above all, and
 * under load that reset reaches the server before the server's deadline timer fires. On a call with
 * a deadline that reset is the deadline, not an INTERNAL of the server's; any other is CANCELLED,
 * or DEADLINE_EXCEEDED once the deadline has passed.
 */
function endOnAbort(span: ServerSpan, handler: ConnectHandlerContext, hasDeadline: boolean): void {
  const { signal, requestSignal } = handler;
  if (typeof signal?.addEventListener !== 'function') return;
  const end = (): void => {
    if (requestSignal?.aborted !== true) span.aborted(signal.reason);
    else if (hasDeadline && statusOf(signal.reason) === Status.INTERNAL) span.finish(Status.DEADLINE_EXCEEDED);
    else span.cancelled();
  };
  if (signal.aborted) end();
  else signal.addEventListener('abort', end, { once: true });
}

/** Connect answers a `ConnectError` with its code and anything else a handler throws with INTERNAL. */
function connectStatusOf(error: unknown): number {
  return (error as { name?: unknown } | null)?.name === 'ConnectError' ? statusOf(error) : Status.INTERNAL;
}

const CONNECT = settledBy(connectStatusOf);

const hosts = new Map<string, string | undefined>();

/** The host of a request URL; a service's few URLs are parsed once each (URL parsing is a measurable part of a call). */
function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let host = hosts.get(url);
  if (host === undefined && !hosts.has(url)) {
    host = ask(() => new URL(url).host);
    if (hosts.size >= 64) hosts.delete(hosts.keys().next().value!);
    hosts.set(url, host);
  }
  return host;
}
