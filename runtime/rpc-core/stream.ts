import { withContext } from '../span.js';
import type { ServerSpan } from './server-span.js';
import { Status } from './status.js';

type Step<T> = (this: unknown, value: never) => Promise<IteratorResult<T>>;

/**
 * A server-streaming or bidi handler's async generator, driven by the stack: each step runs in
 * the span's context, each yielded value is a message sent, and the span ends when the body
 * returns (OK) or throws (its status), or when the stack stops early by `return()` (the client
 * went away: CANCELLED, or DEADLINE_EXCEEDED past the deadline).
 */
export class ServedStream<T> implements AsyncGenerator<T> {
  /** The stack called `return()`: the body's cleanup runs in the span, which then ends as cancelled. */
  private stopped = false;

  constructor(
    private readonly generator: AsyncGenerator<T>,
    private readonly span: ServerSpan,
    private readonly statusOf: (error: unknown) => number,
  ) {}

  next(...args: [] | [unknown]): Promise<IteratorResult<T>> {
    return this.step(this.generator.next, args[0]);
  }

  return(value: unknown): Promise<IteratorResult<T>> {
    this.stopped = true;
    return this.step(this.generator.return, value);
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    return this.step(this.generator.throw, error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  // `await` rather than a second `.then` on the step's promise: see runtime/run.ts.
  private async step(method: Step<T>, value: unknown): Promise<IteratorResult<T>> {
    if (this.span.isEnded) return method.call(this.generator, value as never);
    try {
      const result = await withContext(this.span.context, method, this.generator, value as never);
      if (!result.done) this.span.messages?.sent();
      else if (this.stopped) this.span.cancelled();
      else this.span.finish(Status.OK);
      return result;
    } catch (error) {
      this.span.fail(error, this.statusOf(error));
      throw error;
    }
  }
}
