import type { Tracer } from '@opentelemetry/api';
import type { AttributeSource } from '../attributes.js';
import type { GrpcTagOptions } from './options.js';
import type { ServerSpan } from './server-span.js';
import { Status } from './status.js';
import { ServedStream } from './stream.js';

/**
 * One gRPC stack's server side, as the dispatcher (runtime/rpc/serve.ts) asks each stack in turn:
 * whether a handler's arguments are its own, and then the call's span. Each stack's folder exports
 * one; none of them knows the others.
 */
export interface ServerStack {
  /** The served call when `args` (a handler's arguments, read by index) come from this stack. */
  recognise(tracer: Tracer, name: string, args: ArrayLike<unknown>, attributes: AttributeSource | undefined, options: GrpcTagOptions | undefined): Served | undefined;
}

/** A served call of one stack: its span, and how that stack's handler reports the end of the RPC. */
export interface Served {
  readonly span: ServerSpan;
  /** The handler's second argument as its body sees it: grpc-js's callback ends the span first. */
  readonly second: unknown;
  readonly rules: StackRules;
}

/** How a stack learns a handler's result: one object per stack, not closures per call. */
export interface StackRules {
  /** The status the stack answers a thrown or rejected value with. */
  statusOf(error: unknown): number;
  /** Ends the span on what the handler returned, where that is how the stack learns the result. */
  returned<T>(span: ServerSpan, result: T): T;
}

/** Connect and nice-grpc learn a unary or client-streaming result from the handler's promise. */
export function settledBy(statusOf: (error: unknown) => number): StackRules {
  return {
    statusOf,
    returned(span, result) {
      // A streaming handler may be a plain function returning an AsyncIterable: the RPC lasts as long as it.
      if (isAsyncIterable(result)) return new ServedStream(delegate(result), span, statusOf) as unknown as typeof result;
      if (!(result instanceof Promise)) {
        span.finish(Status.OK);
        return result;
      }
      return result.then(
        (value: unknown) => {
          if (value !== undefined) span.messages?.sent();
          span.finish(Status.OK);
          return value;
        },
        (error: unknown) => {
          span.fail(error, statusOf(error));
          throw error;
        },
      ) as typeof result;
    },
  };
}

/** A handler's first argument as the messages received: one request, or a stream of them. */
export function countRequests(span: ServerSpan, first: unknown): void {
  if (!span.messages) return;
  if (isAsyncIterable(first)) span.messages.observeIterable(first);
  else span.messages.received();
}

/** An async generator over any AsyncIterable, so that a stream has the generator's `return` and `throw`. */
async function* delegate<T>(iterable: AsyncIterable<T>): AsyncGenerator<T> {
  yield* iterable;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
