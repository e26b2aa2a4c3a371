import type { Tracer } from '@opentelemetry/api';
import { diag } from '../api.js';
import type { AttributeSource } from '../attributes.js';
import { connectServerSpan, connectStatusOf, isConnectContext } from '../connect/server.js';
import { endingCallback, grpcJsServerSpan, isGrpcJsCall } from '../grpc/server.js';
import { endWithResult, nestStatusOf } from '../nestjs/server.js';
import { isNiceContext, niceServerSpan, niceStatusOf } from '../nice-grpc/server.js';
import { sdkSafely, withContext } from '../span.js';
import { activeTracer } from '../tracer.js';
import type { GrpcTagOptions } from './options.js';
import type { ServerSpan } from './server-span.js';
import { Status } from './status.js';
import { ServedStream } from './stream.js';

/** A served call of one stack: its span, and how that stack's handler reports the end of the RPC. */
interface Served {
  readonly span: ServerSpan;
  /** The handler's second argument as its body sees it: grpc-js's callback ends the span first. */
  readonly second: unknown;
  readonly rules: StackRules;
}

/** How a stack learns a handler's result: one object per stack, not closures per call. */
interface StackRules {
  /** The status the stack answers a thrown or rejected value with. */
  statusOf(error: unknown): number;
  /** Ends the span on what the handler returned, where that is how the stack learns the result. */
  returned<T>(span: ServerSpan, result: T): T;
}

/**
 * Runs the body of a `@traced grpc.server` handler inside a SERVER span. The stack is told apart
 * by the handler's arguments, so the same tag serves every one of them:
 * - grpc-js `(call, callback?)`, and NestJS's `@GrpcStreamCall` (the same call object);
 * - NestJS `@GrpcMethod` / `@GrpcStreamMethod` `(data | messages$, metadata, call)`;
 * - Connect `(request | requests, context: HandlerContext)`;
 * - nice-grpc `(request | requests, context: CallContext)`.
 * Arguments of none of these shapes run the body untraced, after one warning per handler.
 */
export function serve<T>(name: string, args: readonly unknown[], body: (second: unknown) => T, attributes?: AttributeSource, options?: GrpcTagOptions): T {
  const tracer = activeTracer();
  const served = tracer && sdkSafely(() => recognise(tracer, name, args, attributes, options));
  if (served === undefined) return body(args[1]);
  let result: T;
  try {
    result = withContext(served.span.context, body, undefined, served.second);
  } catch (error) {
    served.span.fail(error, served.rules.statusOf(error));
    throw error;
  }
  return served.rules.returned(served.span, result);
}

/**
 * The same for a handler written as an async generator (Connect and nice-grpc server streaming
 * and bidi): the span is active while the body runs between yields, counts each yielded message,
 * and ends when the body returns or throws, or the stack stops reading (the client went away).
 */
export function serveStream<T>(name: string, args: readonly unknown[], generator: AsyncGenerator<T>, attributes?: AttributeSource, options?: GrpcTagOptions): AsyncGenerator<T> {
  const tracer = activeTracer();
  const served = tracer && sdkSafely(() => recognise(tracer, name, args, attributes, options));
  return served === undefined ? generator : new ServedStream(generator, served.span, served.rules.statusOf);
}

function recognise(tracer: Tracer, name: string, args: readonly unknown[], attributes: AttributeSource | undefined, options: GrpcTagOptions | undefined): Served | undefined {
  // By index: destructuring would run the iterator protocol over the handler's `arguments`.
  const first = args[0];
  const second = args[1];
  const third = args[2];
  if (isGrpcJsCall(first)) {
    const span = grpcJsServerSpan(tracer, name, first, attributes, options);
    return { span, second: typeof second === 'function' ? endingCallback(span, second) : second, rules: GRPC_JS };
  }
  if (isGrpcJsCall(third)) {
    // NestJS's handlers return their messages (a value, a promise, an Observable): those are counted, not the call's writes.
    return { span: grpcJsServerSpan(tracer, name, third, attributes, options, false), second, rules: NESTJS };
  }
  let served: Served;
  if (isConnectContext(second)) served = { span: connectServerSpan(tracer, second, attributes, options), second, rules: CONNECT };
  else if (isNiceContext(second)) served = { span: niceServerSpan(tracer, name, second, attributes, options), second, rules: NICE_GRPC };
  else return unrecognised(name);
  if (served.span.messages) {
    if (isAsyncIterable(first)) served.span.messages.observeIterable(first);
    else served.span.messages.received();
  }
  return served;
}

const warned = new Set<string>();

/** Warns once per handler, as a process warning (printed by default; diag where there is none). */
function unrecognised(name: string): undefined {
  if (warned.has(name)) return undefined;
  warned.add(name);
  const message = `spanweave: the @traced grpc.server handler ${name} was called with arguments of no gRPC stack spanweave knows (grpc-js, Connect, nice-grpc, NestJS), so it runs untraced. An arrow handler must declare its second parameter: (request, context) => ...`;
  const node = globalThis.process;
  if (typeof node?.emitWarning === 'function') node.emitWarning(message, { code: 'SPANWEAVE_UNTRACED_HANDLER' });
  else diag.warn(message);
  return undefined;
}

/** An async generator over any AsyncIterable, so that a stream has the generator's `return` and `throw`. */
async function* delegate<T>(iterable: AsyncIterable<T>): AsyncGenerator<T> {
  yield* iterable;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** grpc-js answers a throwing handler with UNKNOWN, and ignores an async handler's promise (a rejection is recorded). */
const GRPC_JS: StackRules = {
  statusOf: () => Status.UNKNOWN,
  returned(span, result) {
    if (!(result instanceof Promise)) return result;
    return result.then(undefined, (error: unknown) => {
      span.fail(error, Status.UNKNOWN);
      throw error;
    }) as typeof result;
  },
};

const NESTJS: StackRules = { statusOf: nestStatusOf, returned: (span, result) => endWithResult(span, span.context, result) };

/** Connect and nice-grpc learn a unary or client-streaming result from the handler's promise. */
function settledBy(statusOf: (error: unknown) => number): StackRules {
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

const CONNECT = settledBy(connectStatusOf);
const NICE_GRPC = settledBy(niceStatusOf);
