import { errorMonitor } from 'node:events';
import { Client as GrpcClient, Metadata } from '@grpc/grpc-js';
import { context, diag } from '../api.js';
import { sdkSafely } from '../span.js';
import { activeTracer } from '../tracer.js';
import { grpcJsClientSpan } from './client.js';
import { checkDuplicateInstrumentation } from './duplicate.js';
import type { GrpcTagOptions } from '../rpc-core/options.js';
import { Status, statusOf } from '../rpc-core/status.js';

/** What grpc-js's `makeClientConstructor` attaches to each generated client method. */
interface GrpcMethod {
  (...args: unknown[]): unknown;
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

interface CallEmitter {
  on(event: string | symbol, listener: (...args: never[]) => void): unknown;
  getPeer?(): string;
}

/**
 * `client.method(...args)` inside a function tagged `@traced grpc.client`: the call gets a CLIENT
 * span and its context goes into a copy of the call's metadata (added when the caller passed
 * none). The span ends once, at the response callback or the call's final status, whichever
 * comes first; an error the caller does not handle stays unhandled.
 */
export function call(client: object, method: string, options: GrpcTagOptions | undefined, ...args: unknown[]): unknown {
  const fn = (client as Record<string, unknown>)[method] as GrpcMethod;
  const tracer = activeTracer();
  if (tracer === undefined) return fn.apply(client, args);
  checkDuplicateInstrumentation();
  if (!(client instanceof GrpcClient) || typeof fn.path !== 'string') {
    diag.warn(`spanweave: ${method}() is called in a @traced grpc.client function, but it is not a method of a @grpc/grpc-js client; the call is not traced`);
    return fn.apply(client, args);
  }
  const metadataIndex = fn.requestStream ? 0 : 1;
  const given = args[metadataIndex];
  const metadata = given instanceof Metadata ? given.clone() : new Metadata();
  const callArgs = [...args];
  if (given instanceof Metadata) callArgs[metadataIndex] = metadata;
  else callArgs.splice(metadataIndex, 0, metadata);

  const rpc = sdkSafely(() => grpcJsClientSpan(tracer, context.active(), fn.path, target(client), metadata, options));
  if (rpc === undefined) return fn.apply(client, args);
  let emitter: CallEmitter | undefined;
  const peer = (): string | undefined => emitter?.getPeer?.();
  const last = callArgs.length - 1;
  const callback = callArgs[last];
  if (!fn.responseStream && typeof callback === 'function') {
    callArgs[last] = function (this: unknown, error: unknown, response: unknown) {
      if (error) rpc.end(statusOf(error), (error as { details?: string }).details, peer());
      else {
        if (response !== undefined) rpc.messages?.received();
        rpc.end(Status.OK, undefined, peer());
      }
      return callback.apply(this, arguments);
    };
  }
  if (!fn.requestStream) rpc.messages?.sent();
  emitter = fn.apply(client, callArgs) as CallEmitter;
  if (fn.requestStream || fn.responseStream) rpc.messages?.observe(emitter);
  emitter.on(errorMonitor, (error: unknown) => rpc.end(statusOf(error), (error as { details?: string }).details, peer()));
  emitter.on('status', (status: { code: number; details?: string }) => rpc.end(status.code, status.details, peer()));
  return emitter;
}

function target(client: GrpcClient): string | undefined {
  try {
    return client.getChannel().getTarget();
  } catch {
    return undefined;
  }
}
