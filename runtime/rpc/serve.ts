import type { Tracer } from '@opentelemetry/api';
import type { AttributeSource } from '../attributes.js';
import { connectServer } from '../connect/server.js';
import { grpcJsServer } from '../grpc/server.js';
import { nestjsServer } from '../nestjs/server.js';
import { niceGrpcServer } from '../nice-grpc/server.js';
import type { GrpcTagOptions } from '../rpc-core/options.js';
import type { Served, ServerStack } from '../rpc-core/served.js';
import { ServedStream } from '../rpc-core/stream.js';
import { warnOnce } from '../process-warning.js';
import { sdkSafely, withContext } from '../span.js';
import { activeTracer } from '../tracer.js';

/**
 * The stacks a `grpc.server` tag serves, asked in this order (grpc-js before NestJS: Nest's
 * `@GrpcStreamCall` handlers receive the grpc-js call first). A new stack is its own folder under
 * runtime/, which exports a ServerStack, and one entry here.
 */
const STACKS: readonly ServerStack[] = [grpcJsServer, nestjsServer, connectServer, niceGrpcServer];

/**
 * Runs the body of a `@traced grpc.server` handler inside a SERVER span. The stack is told apart
 * by the handler's arguments, so the same tag serves every one of them:
 * - grpc-js `(call, callback?)`, and NestJS's `@GrpcStreamCall` (the same call object);
 * - NestJS `@GrpcMethod` / `@GrpcStreamMethod` `(data | messages$, metadata, call)`;
 * - Connect `(request | requests, context: HandlerContext)`;
 * - nice-grpc `(request | requests, context: CallContext)`.
 * Arguments of none of these shapes run the body untraced, after one warning per handler.
 *
 * `body` is the handler's own body, handed its second argument back (grpc-js's callback, maybe
 * wrapped): typed `any`, as the runtime cannot name the handler's type, so that the woven
 * TypeScript still type-checks where a tool checks it (ts-loader without transpileOnly).
 */
export function serve<T>(name: string, args: ArrayLike<unknown>, body: (second: any) => T, attributes?: AttributeSource, options?: GrpcTagOptions): T {
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
export function serveStream<T>(name: string, args: ArrayLike<unknown>, generator: AsyncGenerator<T>, attributes?: AttributeSource, options?: GrpcTagOptions): AsyncGenerator<T> {
  const tracer = activeTracer();
  const served = tracer && sdkSafely(() => recognise(tracer, name, args, attributes, options));
  return served === undefined ? generator : new ServedStream(generator, served.span, served.rules.statusOf);
}

function recognise(tracer: Tracer, name: string, args: ArrayLike<unknown>, attributes: AttributeSource | undefined, options: GrpcTagOptions | undefined): Served | undefined {
  for (const stack of STACKS) {
    const served = stack.recognise(tracer, name, args, attributes, options);
    if (served !== undefined) return served;
  }
  return unrecognised(name);
}

/** Warns once per handler. */
function unrecognised(name: string): undefined {
  warnOnce(
    `untraced ${name}`,
    'SPANWEAVE_UNTRACED_HANDLER',
    () =>
      `spanweave: the @traced grpc.server handler ${name} was called with arguments of no gRPC stack spanweave knows (grpc-js, Connect, nice-grpc, NestJS), so it runs untraced. An arrow handler must declare its second parameter: (request, context) => ...`,
  );
  return undefined;
}
