import type { Context } from '@opentelemetry/api';
import { withContext } from '../span.js';
import { grpcJsServerSpan, isGrpcJsCall } from '../grpc/server.js';
import type { ServerStack, StackRules } from '../rpc-core/served.js';
import type { ServerSpan } from '../rpc-core/server-span.js';
import { Status, statusOf } from '../rpc-core/status.js';

/** NestJS `@GrpcMethod` / `@GrpcStreamMethod` handlers `(data | messages$, metadata, call)`: the grpc-js call third. */
export const nestjsServer: ServerStack = {
  recognise(tracer, name, args, attributes, options) {
    const call = args[2];
    if (!isGrpcJsCall(call)) return undefined;
    // NestJS's handlers return their messages (a value, a promise, an Observable): those are counted, not the call's writes.
    return { span: grpcJsServerSpan(tracer, name, call, attributes, options, false), second: args[1], rules: NESTJS };
  },
};

const NESTJS: StackRules = { statusOf: nestStatusOf, returned: (span, result) => endWithResult(span, span.context, result) };

/** What a NestJS handler's `Observable` (RxJS) offers: `subscribe` and, like every RxJS observable, `lift`. */
export interface ObservableLike {
  subscribe(observer: { next(value: unknown): void; error(error: unknown): void; complete(): void }): { unsubscribe(): void };
  lift(operator: unknown): unknown;
}

type ObservableConstructor = new (subscribe: (subscriber: { next(value: unknown): void; error(error: unknown): void; complete(): void }) => () => void) => ObservableLike;

export function isObservable(value: unknown): value is ObservableLike {
  return typeof value === 'object' && value !== null && typeof (value as ObservableLike).subscribe === 'function' && typeof (value as ObservableLike).lift === 'function';
}

/**
 * The status NestJS answers an exception with: an `RpcException` whose error has a numeric
 * `code` gives that code (the way Nest's docs raise gRPC statuses); anything else reaches the
 * client as UNKNOWN.
 */
function nestStatusOf(error: unknown): number {
  const getError = (error as { getError?: unknown } | null)?.getError;
  if (typeof getError === 'function') return statusOf(getError.call(error));
  return statusOf(error);
}

/**
 * What a NestJS handler returned, ending the span when the RPC does: an Observable when it
 * completes, errors or is unsubscribed (the client cancelled), a promise when it settles (it may
 * hold an Observable), a plain value at once. Its values are the messages sent.
 */
function endWithResult<T>(span: ServerSpan, spanContext: Context, result: T): T {
  if (isObservable(result)) return observed(span, spanContext, result) as T;
  if (result instanceof Promise) {
    return result.then(
      (value: unknown) => endWithResult(span, spanContext, value),
      (error: unknown) => {
        span.fail(error, nestStatusOf(error));
        throw error;
      },
    ) as T;
  }
  if (result !== undefined) span.messages?.sent();
  span.finish(Status.OK);
  return result;
}

/**
 * The same Observable, subscribed to in the span's context, that ends the span with its outcome.
 * It is made with the source's own Observable class (the base class, as a Subject's constructor
 * takes other arguments), so Nest and RxJS operators treat it as they treated the source.
 */
function observed(span: ServerSpan, spanContext: Context, source: ObservableLike): ObservableLike {
  const Observable = baseClassOf(source);
  return new Observable((subscriber) => {
    const subscription = withContext(spanContext, () =>
      source.subscribe({
        next(value) {
          span.messages?.sent();
          subscriber.next(value);
        },
        error(error) {
          span.fail(error, nestStatusOf(error));
          subscriber.error(error);
        },
        complete() {
          span.finish(Status.OK);
          subscriber.complete();
        },
      }),
    );
    return () => {
      span.cancelled();
      subscription.unsubscribe();
    };
  });
}

function baseClassOf(observable: ObservableLike): ObservableConstructor {
  let prototype = Object.getPrototypeOf(observable) as ObservableLike;
  for (let parent = Object.getPrototypeOf(prototype) as ObservableLike | null; parent !== null && typeof parent.lift === 'function'; parent = Object.getPrototypeOf(parent) as ObservableLike | null) {
    prototype = parent;
  }
  return prototype.constructor as ObservableConstructor;
}
