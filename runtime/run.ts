import type { Tracer } from '@opentelemetry/api';
import type { AttributeSource } from './attributes.js';
import type { Hop } from './hop.js';
import { endCall, failCall, isPlainPromise, startSpan, withContext } from './span.js';
import { activeTracer } from './tracer.js';

// Each entry point is a small function that the engine can inline into the traced function, with
// the work for a registered SDK out of line.

/**
 * Runs the body of a traced function that is not `async` inside an active span.
 * A plain native promise returned by the body ends the span when it settles; any other value
 * (a foreign thenable, which may be lazy like a query builder, or a promise that carries something
 * of its own) ends it on return.
 */
export function run<T>(name: string, body: () => T, attributes?: AttributeSource, hop?: Hop): T {
  const tracer = activeTracer();
  return tracer === undefined ? body() : traceCall(tracer, name, body, attributes, hop);
}

/**
 * Runs the body of an `async` function inside an active span, which ends when the body's promise
 * settles, before the awaiting traced function resumes. The traced function awaits the result,
 * so a rejection still reaches its caller unhandled or handled exactly as before.
 */
export function runAsync<T>(name: string, body: () => Promise<T>, attributes?: AttributeSource, hop?: Hop): Promise<T> {
  const tracer = activeTracer();
  return tracer === undefined ? body() : traceAsyncCall(tracer, name, body, attributes, hop);
}

function traceCall<T>(tracer: Tracer, name: string, body: () => T, attributes: AttributeSource | undefined, hop: Hop | undefined): T {
  const started = startSpan(tracer, name, attributes, hop);
  if (started === undefined) return body();
  let result: T;
  try {
    result = withContext(started.context, body);
  } catch (error) {
    failCall(started, error);
    throw error;
  }
  if (isPlainPromise(result)) {
    // A new promise that rejects like the body's, so a rejection nobody handles stays unhandled.
    return result.then(
      (value: unknown) => {
        endCall(started);
        return value;
      },
      (error: unknown) => {
        failCall(started, error);
        throw error;
      },
    ) as T;
  }
  endCall(started);
  return result;
}

// `await`, not `.then` beside the caller's await: V8's async stack traces follow a promise only
// while it has one reaction, so a second one would cut the callers off an error's stack.
async function traceAsyncCall<T>(tracer: Tracer, name: string, body: () => Promise<T>, attributes: AttributeSource | undefined, hop: Hop | undefined): Promise<T> {
  const started = startSpan(tracer, name, attributes, hop);
  if (started === undefined) return body();
  try {
    const value = await withContext(started.context, body);
    endCall(started);
    return value;
  } catch (error) {
    failCall(started, error);
    throw error;
  }
}
