import type { Attributes, Context, Span, TextMapSetter, Tracer } from '@opentelemetry/api';
import { propagation, trace, SpanKind, SpanStatusCode } from '../api.js';
import { bounded } from '../attributes.js';
import { EMIT_OLD_RPC_CONVENTIONS } from '../semconv.js';
import { endSpan } from '../span.js';
import { MessageEvents } from './messages.js';
import type { GrpcTagOptions } from './options.js';
import { addressAttributes } from './peer.js';
import { describe, isError, oldRpcAttributes, Status, statusName, statusOf } from './status.js';

/** What a stack's client adapter knows of an outgoing call when it starts. */
export interface OutgoingRpc {
  /** `rpc.system.name`: `grpc`, or `connectrpc`. */
  readonly system: string;
  /** `package.Service/Method`. */
  readonly method: string;
  /** The server address and the `metadata=` values. */
  readonly attributes: Attributes;
  /** The call's metadata or headers, which receive the span's context through `setter`. */
  readonly carrier: unknown;
  readonly setter: TextMapSetter<unknown>;
}

/** One client call's CLIENT span, the same for every stack: started with its context injected into the carrier, ended once. */
export class ClientSpan {
  readonly messages: MessageEvents | undefined;
  private readonly span: Span;
  private ended = false;

  constructor(tracer: Tracer, parent: Context, outgoing: OutgoingRpc, options: GrpcTagOptions | undefined) {
    const attributes: Attributes = { 'rpc.system.name': outgoing.system, 'rpc.method': outgoing.method, ...outgoing.attributes };
    if (EMIT_OLD_RPC_CONVENTIONS) Object.assign(attributes, oldRpcAttributes(outgoing.system, outgoing.method));
    this.span = tracer.startSpan(outgoing.method, { kind: SpanKind.CLIENT, attributes }, parent);
    this.messages = options?.messages ? new MessageEvents(this.span) : undefined;
    propagation.inject(trace.setSpan(parent, this.span), outgoing.carrier, outgoing.setter);
  }

  /** Ends the span with the call's status (every status but OK is an error on a client), once. */
  end(code: number, details: string | undefined, peer?: string): void {
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
      };
    },
  };
}
