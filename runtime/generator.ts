import type { Context } from '@opentelemetry/api';
import type { AttributeSource } from './attributes.js';
import type { Hop } from './hop.js';
import { endCall, failCall, startSpan, withContext, type ActiveSpan } from './span.js';
import { activeTracer } from './tracer.js';

/**
 * Traces a generator's iteration. The traced generator function delegates to the returned
 * iterator with `yield*`, so its span starts at the first `next()` (when the body starts), is
 * active while the body runs between yields, and ends when the body returns or throws, or when
 * the consumer calls `return()` (a `break` out of `for...of`).
 */
export function runGenerator<T, R, N>(name: string, generator: Generator<T, R, N>, attributes?: AttributeSource, hop?: Hop): Generator<T, R, N> {
  const tracer = activeTracer();
  const started = tracer && startSpan(tracer, name, attributes, hop);
  return started === undefined ? generator : new TracedGenerator(generator, started);
}

/** The same for async generators: each step's promise settles before the span may end. */
export function runAsyncGenerator<T, R, N>(
  name: string,
  generator: AsyncGenerator<T, R, N>,
  attributes?: AttributeSource,
  hop?: Hop,
): AsyncGenerator<T, R, N> {
  const tracer = activeTracer();
  const started = tracer && startSpan(tracer, name, attributes, hop);
  return started === undefined ? generator : new TracedAsyncGenerator(generator, started);
}

/** A generator method; `never` admits next, return and throw whatever their value types. */
type Step<T> = (this: unknown, value: never) => T;

abstract class TracedIteration<G extends object> {
  protected ended = false;

  protected readonly spanContext: Context;

  constructor(
    protected readonly generator: G,
    private readonly started: ActiveSpan,
  ) {
    this.spanContext = started.context;
  }

  protected end(): void {
    if (this.ended) return;
    this.ended = true;
    endCall(this.started);
  }

  protected fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    failCall(this.started, error);
  }
}

class TracedGenerator<T, R, N> extends TracedIteration<Generator<T, R, N>> implements Generator<T, R, N> {
  next(...args: [] | [N]): IteratorResult<T, R> {
    return this.step(this.generator.next, args[0]);
  }

  return(value: R): IteratorResult<T, R> {
    return this.step(this.generator.return, value);
  }

  throw(error: unknown): IteratorResult<T, R> {
    return this.step(this.generator.throw, error);
  }

  [Symbol.iterator](): this {
    return this;
  }

  private step(method: Step<IteratorResult<T, R>>, value: unknown): IteratorResult<T, R> {
    if (this.ended) return method.call(this.generator, value as never);
    let result: IteratorResult<T, R>;
    try {
      result = withContext(this.spanContext, method, this.generator, value as never);
    } catch (error) {
      this.fail(error);
      throw error;
    }
    if (result.done) this.end();
    return result;
  }
}

class TracedAsyncGenerator<T, R, N> extends TracedIteration<AsyncGenerator<T, R, N>> implements AsyncGenerator<T, R, N> {
  next(...args: [] | [N]): Promise<IteratorResult<T, R>> {
    return this.step(this.generator.next, args[0]);
  }

  return(value: R | PromiseLike<R>): Promise<IteratorResult<T, R>> {
    return this.step(this.generator.return, value);
  }

  throw(error: unknown): Promise<IteratorResult<T, R>> {
    return this.step(this.generator.throw, error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  // `await` rather than a second `.then` on the step's promise: see runtime/run.ts.
  private async step(method: Step<Promise<IteratorResult<T, R>>>, value: unknown): Promise<IteratorResult<T, R>> {
    if (this.ended) return method.call(this.generator, value as never);
    try {
      const result = await withContext(this.spanContext, method, this.generator, value as never);
      if (result.done) this.end();
      return result;
    } catch (error) {
      this.fail(error);
      throw error;
    }
  }
}
