import { Client as GrpcClient, InterceptingCall, type Interceptor, type StatusObject } from '@grpc/grpc-js';
import type { Attributes, Span } from '@opentelemetry/api';
import { context, diag, propagation, trace, SpanKind, SpanStatusCode } from '../api.js';
import { bounded } from '../attributes.js';
import { EMIT_OLD_RPC_CONVENTIONS } from '../semconv.js';
import { activeTracer } from '../tracer.js';
import { metadataAttributes, metadataSetter } from './metadata.js';
import type { GrpcTagOptions } from './options.js';
import { addressAttributes } from './peer.js';
import { isError, oldRpcAttributes, statusName } from './status.js';

type ClientConstructor<C> = new (address: string, credentials: unknown, options?: Record<string, unknown>, ...rest: unknown[]) => C;

/**
 * `new Client(address, credentials, options)` for a grpc-js client class, with an interceptor
 * first in `options.interceptors` that gives every call a CLIENT span and injects its context
 * into the call's metadata. A class that is not a grpc-js client is constructed unchanged.
 */
export function client<C>(Client: ClientConstructor<C>, args: unknown[], options?: GrpcTagOptions): C {
  if (!(Client.prototype instanceof GrpcClient)) {
    diag.warn(`spanweave: @traced grpc.client is on the construction of ${Client.name}, which is not a @grpc/grpc-js client; its calls are not traced`);
    return Reflect.construct(Client, args) as C;
  }
  const [address, credentials, clientOptions = {}, ...rest] = args as [string, unknown, Record<string, unknown>?, ...unknown[]];
  const interceptors = (clientOptions.interceptors as Interceptor[] | undefined) ?? [];
  const traced = { ...clientOptions, interceptors: [clientInterceptor(address, options), ...interceptors] };
  return Reflect.construct(Client, [address, credentials, traced, ...rest]) as C;
}

function clientInterceptor(address: string, options: GrpcTagOptions | undefined): Interceptor {
  const server = addressAttributes('server', address);
  return (callOptions, nextCall) => {
    const next = nextCall(callOptions);
    const tracer = activeTracer();
    if (tracer === undefined) return new InterceptingCall(next);
    const method = callOptions.method_definition.path.replace(/^\//, '');
    const parent = context.active();
    let span: Span | undefined;
    const call: InterceptingCall = new InterceptingCall(next, {
      start(metadata, _listener, start) {
        const attributes: Attributes = { 'rpc.system.name': 'grpc', 'rpc.method': method, ...server, ...metadataAttributes(metadata, options?.metadata, 'request') };
        if (EMIT_OLD_RPC_CONVENTIONS) Object.assign(attributes, oldRpcAttributes(method));
        span = tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes }, parent);
        propagation.inject(trace.setSpan(parent, span), metadata, metadataSetter);
        start(metadata, {
          onReceiveStatus(status, nextStatus) {
            if (span !== undefined) endClientSpan(span, status, call.getPeer());
            span = undefined;
            nextStatus(status);
          },
        });
      },
    });
    return call;
  };
}

function endClientSpan(span: Span, status: StatusObject, peer: string): void {
  span.setAttributes(addressAttributes('network.peer', peer));
  span.setAttribute('rpc.status_code', statusName(status.code));
  if (EMIT_OLD_RPC_CONVENTIONS) span.setAttribute('rpc.grpc.status_code', status.code);
  if (isError(status.code, 'client')) {
    span.setAttribute('error.type', statusName(status.code));
    span.setStatus({ code: SpanStatusCode.ERROR, message: bounded(status.details || statusName(status.code)) });
  }
  span.end();
}
