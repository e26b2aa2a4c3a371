import type { Span } from '@opentelemetry/api';

/**
 * `rpc.message` span events (the `messages` tag option), numbered per direction from 1 as the RPC
 * conventions and Go's otelgrpc do. Events after the span ended are dropped.
 */
export class MessageEvents {
  private sentCount = 0;
  private receivedCount = 0;
  ended = false;

  constructor(private readonly span: Span) {}

  sent(): void {
    if (!this.ended) this.span.addEvent('rpc.message', { 'rpc.message.type': 'SENT', 'rpc.message.id': ++this.sentCount });
  }

  received(): void {
    if (!this.ended) this.span.addEvent('rpc.message', { 'rpc.message.type': 'RECEIVED', 'rpc.message.id': ++this.receivedCount });
  }

  /**
   * Counts the messages a grpc-js stream delivers to its reader (`push`) and those its writer
   * sends (`write`). Wrapping this one object's methods, rather than listening for 'data', leaves
   * the stream's flowing mode and the order its reader sees messages in unchanged.
   */
  observe(stream: object, countWrites = true): void {
    const events = this;
    const { push, write } = stream as { push?: unknown; write?: unknown };
    if (typeof push === 'function') {
      Object.defineProperty(stream, 'push', {
        configurable: true,
        writable: true,
        value: function (this: unknown, chunk: unknown) {
          if (chunk !== null) events.received();
          return push.apply(this, arguments);
        },
      });
    }
    if (countWrites && typeof write === 'function') {
      Object.defineProperty(stream, 'write', {
        configurable: true,
        writable: true,
        value: function (this: unknown) {
          events.sent();
          return write.apply(this, arguments);
        },
      });
    }
  }

  /**
   * Counts the messages of a stream given as an `AsyncIterable` (Connect, nice-grpc): a request
   * stream a handler reads (`received`) or a client sends (`sent`). This one object's iterator
   * counts what its `next` delivers, and passes `return` and `throw` (where it has them) through.
   */
  observeIterable(stream: AsyncIterable<unknown>, direction: 'sent' | 'received' = 'received'): void {
    const events = this;
    const iterate = stream[Symbol.asyncIterator];
    // A frozen or exotic stream is left uncounted: counting must never throw into the call.
    if (!Object.isExtensible(stream)) return;
    Object.defineProperty(stream, Symbol.asyncIterator, {
      configurable: true,
      writable: true,
      value: function (this: AsyncIterable<unknown>) {
        const iterator = iterate.call(this);
        const counting: AsyncIterator<unknown> & AsyncIterable<unknown> = {
          async next(...value: [] | [unknown]) {
            const result = await iterator.next(...value);
            if (!result.done) events[direction]();
            return result;
          },
          [Symbol.asyncIterator]: () => counting,
        };
        if (iterator.return) counting.return = iterator.return.bind(iterator);
        if (iterator.throw) counting.throw = iterator.throw.bind(iterator);
        return counting;
      },
    });
  }
}
