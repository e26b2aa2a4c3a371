import { Client as GrpcClient, InterceptingCall, type Interceptor, type Metadata, type StatusObject } from '@grpc/grpc-js';
import type { Context, Tracer } from '@opentelemetry/api';
import { context, diag } from '../api.js';
import { sdkSafely } from '../span.js';
import { activeTracer } from '../tracer.js';
import { ClientSpan } from '../rpc-core/client-span.js';
import type { GrpcTagOptions } from '../rpc-core/options.js';
import { addressAttributes } from '../rpc-core/peer.js';
import { checkDuplicateInstrumentation } from './duplicate.js';
import { grpcMetadataAttributes, metadataSetter } from './metadata.js';

/** Any constructor: a generated client's parameters are typed more narrowly than the runtime can name (woven TypeScript is type-checked by some tools). */
type ClientConstructor<C> = new (...args: any[]) => C;

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
    let rpc: ClientSpan | undefined;
    // Messages are counted only when the tag asks: each hook is one more layer per message.
    const counting = options?.messages === true;
    const call: InterceptingCall = new InterceptingCall(next, {
      start(metadata, _listener, start) {
        rpc = sdkSafely(() => grpcJsClientSpan(tracer, parent, callOptions.method_definition.path, address, metadata, options));
        start(metadata, {
          onReceiveMessage: counting
            ? (message, nextMessage) => {
                rpc?.messages?.received();
                nextMessage(message);
              }
            : undefined,
          onReceiveStatus(status, nextStatus) {
            rpc?.end(status.code, status.details, call.getPeer());
            nextStatus(status);
          },
        });
      },
      sendMessage: counting
        ? (message, nextMessage) => {
            rpc?.messages?.sent();
            nextMessage(message);
          }
        : undefined,
    });
    return call;
  };
}

/** A grpc-js call's CLIENT span, its context injected into the call's metadata. */
export function grpcJsClientSpan(tracer: Tracer, parent: Context, path: string, target: string | undefined, metadata: Metadata, options: GrpcTagOptions | undefined): ClientSpan {
  return new ClientSpan(
    tracer,
    parent,
    { system: 'grpc', method: path.startsWith('/') ? path.slice(1) : path, server: addressAttributes('server', target), attributes: grpcMetadataAttributes(metadata, options?.metadata, 'request'), carrier: metadata, setter: metadataSetter },
    options,
  );
}

export type { StatusObject };
