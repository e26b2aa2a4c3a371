import { createClientFactory, Metadata, type CallOptions, type ClientFactory, type ClientMiddleware, type ClientMiddlewareCall } from 'nice-grpc';
import type { Attributes } from '@opentelemetry/api';
import { context } from '../api.js';
import { carrierSetter } from '../carriers.js';
import { sdkSafely } from '../span.js';
import { activeTracer } from '../tracer.js';
import { ClientSpan } from '../rpc/client-span.js';
import { metadataAttributes } from '../rpc/metadata.js';
import type { GrpcTagOptions } from '../rpc/options.js';
import { addressAttributes } from '../rpc/peer.js';
import { ask, describe } from '../rpc/server-span.js';
import { Status, statusOf } from '../rpc/status.js';

/**
 * A `@traced grpc.client` tag on a nice-grpc client construction: `createClient(Definition,
 * channel, defaults?)`, or `factory.create(...)` of a client factory with middleware of its own.
 * The client is made by a factory with spanweave's middleware added (after the factory's own, so
 * a retrying middleware gets a span per attempt), which gives every call a CLIENT span and
 * injects its context into the call's metadata (the caller's and the defaults' kept).
 */
export function create(target: unknown, callee: string | Function, args: unknown[], options?: GrpcTagOptions): unknown {
  const factory = typeof callee === 'string' ? (target as ClientFactory) : createClientFactory();
  const server = addressAttributes('server', ask(() => (args[1] as { getTarget(): string }).getTarget()));
  const traced = factory.use(clientMiddleware(server, options));
  return (traced.create as (...values: unknown[]) => unknown)(...args);
}

function clientMiddleware(server: Attributes, options: GrpcTagOptions | undefined): ClientMiddleware {
  return async function* spanweave<Request, Response>(call: ClientMiddlewareCall<Request, Response>, callOptions: CallOptions) {
    const tracer = activeTracer();
    const metadata = Metadata(callOptions.metadata);
    const span =
      tracer &&
      sdkSafely(() => {
        const outgoing = {
          system: 'grpc',
          method: call.method.path.slice(1),
          attributes: { ...server, ...metadataAttributes(options?.metadata, (key) => metadata.getAll(key), 'request') },
          carrier: metadata,
          setter: carrierSetter,
        };
        return new ClientSpan(tracer, context.active(), outgoing, options);
      });
    if (span === undefined) return yield* call.next(call.request, callOptions);
    if (call.requestStream) span.messages?.observeIterable(call.request as AsyncIterable<unknown>, 'sent');
    else span.messages?.sent();
    try {
      const responses = call.next(call.request, { ...callOptions, metadata });
      if (!call.responseStream) {
        const response = yield* responses;
        span.messages?.received();
        span.end(Status.OK, undefined);
        return response;
      }
      for await (const response of responses) {
        span.messages?.received();
        yield response;
      }
      span.end(Status.OK, undefined);
      return undefined;
    } catch (error) {
      span.end(statusOf(error), describe(error));
      throw error;
    } finally {
      span.end(Status.CANCELLED, undefined); // the caller stopped reading a response stream
    }
  };
}
