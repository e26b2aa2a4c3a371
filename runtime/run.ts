import { context } from '@opentelemetry/api';
import type { AttributeSource } from './attributes.js';
import { endWithError, startInternalSpan } from './span.js';
import { activeTracer } from './tracer.js';

/**
 * Runs the body of a traced function that is not `async` inside an active span.
 * A native promise returned by the body ends the span when it settles; any other value
 * (including a foreign thenable, which may be lazy, like a query builder) ends it on return.
 */
export function run<T>(name: string, body: () => T, attributes?: AttributeSource): T {
  const tracer = activeTracer();
  if (tracer === undefined) return body();
  const { span, context: spanContext } = startInternalSpan(tracer, name, attributes);
  let result: T;
  try {
    result = context.with(spanContext, body);
  } catch (error) {
    endWithError(span, error);
    throw error;
  }
  if (result instanceof Promise) {
    // A new promise that rejects like the body's, so a rejection nobody handles stays unhandled.
    return result.then(
      (value: unknown) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        endWithError(span, error);
        throw error;
      },
    ) as T;
  }
  span.end();
  return result;
}

/**
 * Runs the body of an `async` function inside an active span. The body's own promise is
 * returned: the traced function awaits it, so its rejection still reaches the caller unhandled
 * or handled exactly as before, and the span ends one turn before the caller resumes.
 */
export function runAsync<T>(name: string, body: () => Promise<T>, attributes?: AttributeSource): Promise<T> {
  const tracer = activeTracer();
  if (tracer === undefined) return body();
  const { span, context: spanContext } = startInternalSpan(tracer, name, attributes);
  const promise = context.with(spanContext, body);
  promise.then(
    () => span.end(),
    (error: unknown) => endWithError(span, error),
  );
  return promise;
}
