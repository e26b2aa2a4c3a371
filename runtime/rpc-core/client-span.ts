import type { Attributes, Context, Span, TextMapSetter, Tracer } from '@opentelemetry/api';
import { propagation, trace, SpanKind, SpanStatusCode } from '../api.js';
import { bounded, merged } from '../attributes.js';
import { EMIT_OLD_RPC_CONVENTIONS } from '../semconv.js';
import { startDuration, type Duration } from '../metrics.js';
import { endSpan } from '../span.js';
import { MessageEvents } from './messages.js';
import type { GrpcTagOptions } from './options.js';
import { addressAttributes } from './peer.js';
import { describe, isError, oldRpcAttributes, Status, statusAttributes, statusName, statusOf } from './status.js';

/** What a stack's client adapter knows of an outgoing call when it starts. */
export interface OutgoingRpc {
  /** `rpc.system.name`: `grpc`, or `connectrpc`. */
  readonly system: string;
  /** `package.Service/Method`. */
  readonly method: string;
  /** `server.address` and `server.port`, as far as the stack tells them. */
  readonly server: Attributes;
  /** The `metadata=` values. */
  readonly attributes: Attributes;
  /** The call's metadata or headers, which receive the span's context through `setter`; none where it must not go. */
  readonly carrier: unknown;
  readonly setter: TextMapSetter<unknown>;
}

/** One client call's CLIENT span, the same for every stack: started with its context injected into the carrier, ended once. */
export class ClientSpan {
  readonly messages: MessageEvents | undefined;
  private readonly span: Span;
  private readonly context: Context;
  private readonly duration: Duration | undefined;
  private ended = false;

  constructor(tracer: Tracer, parent: Context, outgoing: OutgoingRpc, options: GrpcTagOptions | undefined) {
    const identity = { 'rpc.system.name': outgoing.system, 'rpc.method': outgoing.method };
    const attributes = merged(identity, outgoing.server, outgoing.attributes);
    if (EMIT_OLD_RPC_CONVENTIONS) Object.assign(attributes, oldRpcAttributes(outgoing.system, outgoing.method));
    this.span = tracer.startSpan(outgoing.method, { kind: SpanKind.CLIENT, attributes }, parent);
    this.context = trace.setSpan(parent, this.span);
    this.messages = options?.messages ? new MessageEvents(this.span) : undefined;
    this.duration = startDuration('rpc.client.call.duration', () => merged(identity, outgoing.server));
    if (outgoing.carrier !== undefined) propagation.inject(this.context, outgoing.carrier, outgoing.setter);
  }

  /** Ends the span with the call's status (every status but OK is an error on a client), once. */
  end(code: number, details: string | undefined, peer?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.messages) this.messages.ended = true;
    const { span } = this;
    const status = statusAttributes(code, 'client');
    span.setAttributes(merged(addressAttributes('network.peer', peer), status));
    if (EMIT_OLD_RPC_CONVENTIONS) span.setAttribute('rpc.grpc.status_code', code);
    if (isError(code, 'client')) span.setStatus({ code: SpanStatusCode.ERROR, message: bounded(details || statusName(code)) });
    endSpan(span);
    this.duration?.record(status, this.context);
  }
}

/**
 * A unary or client-streaming response that ends the span when it settles: OK (a message
 * received) or the error's status; the same value or error passes on.
 */
export function endsWithResponse<T>(span: ClientSpan, response: Promise<T>): Promise<T> {
  return response.then(
    (value) => {
      span.messages?.received();
      span.end(Status.OK, undefined);
      return value;
    },
    (error: unknown) => {
      span.end(statusOf(error), describe(error));
      throw error;
    },
  );
}

/**
 * A response stream that ends the span when it is read to its end (OK), fails (the error's
 * code) or is left early (`return()`: the caller stopped reading, CANCELLED).
 */
export function endsWithIteration<T>(span: ClientSpan, messages: AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = messages[Symbol.asyncIterator]();
      return {
        async next() {
          try {
            const result = await iterator.next();
            if (result.done) span.end(Status.OK, undefined);
            else span.messages?.received();
            return result;
          } catch (error) {
            span.end(statusOf(error), describe(error));
            throw error;
          }
        },
        async return(value?: unknown) {
          span.end(Status.CANCELLED, undefined);
          return (await iterator.return?.(value)) ?? { done: true, value: undefined };
        },
        // The caller gave up with an error (a `yield*` over this stream that was thrown into).
        async throw(error?: unknown) {
          span.end(Status.CANCELLED, undefined);
          if (iterator.throw) return iterator.throw(error);
          throw error;
        },
      };
    },
  };
}
