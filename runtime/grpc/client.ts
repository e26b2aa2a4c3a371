import { Client as GrpcClient, InterceptingCall, type Interceptor, type Metadata, type StatusObject } from '@grpc/grpc-js';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { context, diag, propagation, trace, SpanKind, SpanStatusCode } from '../api.js';
import { bounded } from '../attributes.js';
import { EMIT_OLD_RPC_CONVENTIONS } from '../semconv.js';
import { endSpan, sdkSafely } from '../span.js';
import { activeTracer } from '../tracer.js';
import { checkDuplicateInstrumentation } from './duplicate.js';
import { MessageEvents } from './messages.js';
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
  return (callOptions, nextCall) => {
    const next = nextCall(callOptions);
    const tracer = activeTracer();
    if (tracer === undefined) return new InterceptingCall(next);
    checkDuplicateInstrumentation();
    const parent = context.active();
    let rpc: ClientRpc | undefined;
    const call: InterceptingCall = new InterceptingCall(next, {
      start(metadata, _listener, start) {
        rpc = sdkSafely(() => new ClientRpc(tracer, parent, callOptions.method_definition.path, address, metadata, options));
        start(metadata, {
          onReceiveMessage(message, nextMessage) {
            rpc?.messages?.received();
            nextMessage(message);
          },
          onReceiveStatus(status, nextStatus) {
            rpc?.end(status.code, status.details, call.getPeer());
            nextStatus(status);
          },
        });
      },
      sendMessage(message, nextMessage) {
        rpc?.messages?.sent();
        nextMessage(message);
      },
    });
    return call;
  };
}

/** One client call's CLIENT span: started with its context injected into the metadata, ended once. */
export class ClientRpc {
  readonly messages: MessageEvents | undefined;
  private readonly span: Span;
  private ended = false;

  constructor(tracer: Tracer, parent: Context, path: string, target: string | undefined, metadata: Metadata, options: GrpcTagOptions | undefined) {
    const method = path.replace(/^\//, '');
    const attributes: Attributes = { 'rpc.system.name': 'grpc', 'rpc.method': method, ...addressAttributes('server', target), ...metadataAttributes(metadata, options?.metadata, 'request') };
    if (EMIT_OLD_RPC_CONVENTIONS) Object.assign(attributes, oldRpcAttributes(method));
    this.span = tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes }, parent);
    this.messages = options?.messages ? new MessageEvents(this.span) : undefined;
    propagation.inject(trace.setSpan(parent, this.span), metadata, metadataSetter);
  }

  end(code: number, details: string | undefined, peer: string | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (this.messages) this.messages.ended = true;
    const { span } = this;
    span.setAttributes(addressAttributes('network.peer', peer));
    span.setAttribute('rpc.status_code', statusName(code));
    if (EMIT_OLD_RPC_CONVENTIONS) span.setAttribute('rpc.grpc.status_code', code);
    if (isError(code, 'client')) {
      span.setAttribute('error.type', statusName(code));
      span.setStatus({ code: SpanStatusCode.ERROR, message: bounded(details || statusName(code)) });
    }
    endSpan(span);
  }
}

export type { StatusObject };
