import { context } from './api.js';
import { withContext } from './span.js';

/*
 * The active span across `await` where the context manager cannot follow it (the web SDK's
 * StackContextManager: a context is active only inside `context.with`, and an `async` function
 * resumes outside it). With the option `awaitContext`, the transformer compiles a traced async
 * function's body to a generator in which each `await x` is `yield x` (and each `for await` a loop
 * of the same), and this driver runs it: every step of the body runs inside `context.with` of the
 * context active when the body started, so the body's context is active whenever it runs and left
 * whenever it is suspended.
 */

// The intrinsics `await` uses, read once: a program that replaces `Promise` does not change them.
const NativePromise = Promise;
const resolved = NativePromise.resolve.bind(NativePromise) as (value: unknown) => Promise<unknown>;
const then = NativePromise.prototype.then;

type Steps<T> = Generator<unknown, T, unknown>;

/**
 * Runs `steps` as `await` would run the async body it was compiled from: a yielded value is
 * awaited (the same number of ticks: a native promise's reaction resumes the body), its value sent
 * back or its rejection thrown at the same `yield`; the promise settles with what the body
 * returns or throws.
 */
export function resuming<T>(steps: Steps<T>): Promise<T> {
  const active = context.active();
  return new NativePromise<T>((resolve, reject) => {
    const step = (method: Steps<T>['next'], value: unknown): void => {
      let result: IteratorResult<unknown, T>;
      try {
        result = withContext(active, method, steps, value);
      } catch (error) {
        reject(error);
        return;
      }
      if (result.done) resolve(result.value);
      else then.call(resolved(result.value), resume, fail);
    };
    const resume = (value: unknown): void => step(steps.next, value);
    const fail = (error: unknown): void => step(steps.throw as Steps<T>['next'], error);
    step(steps.next, undefined);
  });
}

/**
 * A `for await (x of iterable)` of a body run by `resuming`, compiled to
 *
 *   { const it = rt.iterate(iterable); try { for (; yield* it.next(); ) { x = it.value; body } }
 *     catch (e) { yield* it.close(true); throw e; } finally { yield* it.close(false); } }
 *
 * with the steps of the language's loop: the async iterator (or the sync one, its values awaited),
 * each result checked to be an object, and `return()` called and awaited when the loop is left
 * early; when it is left by an exception, that exception wins over whatever `return()` does.
 */
export function iterate(iterable: unknown): AsyncIteration {
  return new AsyncIteration(iterable);
}

interface AnyIterator {
  next(value?: unknown): unknown;
  return?(value?: unknown): unknown;
}

class AsyncIteration {
  value: unknown;
  private readonly iterator: AnyIterator;
  private readonly nextMethod: AnyIterator['next'];
  private readonly sync: boolean;
  /** Between a result that was not `done` and the loop's next step: leaving now closes the iterator. */
  private open = false;

  constructor(iterable: unknown) {
    const source = iterable as Record<symbol, (() => AnyIterator) | undefined | null>;
    const asyncMethod = source[Symbol.asyncIterator];
    const method = asyncMethod ?? source[Symbol.iterator];
    if (typeof method !== 'function') throw new TypeError(`${typeof iterable === 'object' ? 'object' : String(iterable)} is not async iterable`);
    this.sync = asyncMethod === undefined || asyncMethod === null;
    const iterator = method.call(iterable);
    if (typeof iterator !== 'object' || iterator === null) throw new TypeError('Result of the Symbol.asyncIterator method is not an object');
    this.iterator = iterator;
    this.nextMethod = iterator.next;
  }

  /** One step: whether there is a value (in `value`). */
  *next(): Generator<unknown, boolean, unknown> {
    this.open = false;
    const step = this.nextMethod.call(this.iterator);
    const result = yield this.sync ? this.fromSync(step) : step;
    if (!isObject(result)) throw new TypeError(`Iterator result ${String(result)} is not an object`);
    if ((result as IteratorResult<unknown>).done) return false;
    this.value = (result as IteratorResult<unknown>).value;
    this.open = true;
    return true;
  }

  /**
   * A sync iterator's result as the language's async-from-sync iterator gives it: a promise of
   * `{ value, done }` with the value awaited; a value that rejects closes the iterator.
   */
  private fromSync(result: unknown): Promise<unknown> {
    if (!isObject(result)) throw new TypeError(`Iterator result ${String(result)} is not an object`);
    const done = Boolean((result as IteratorResult<unknown>).done);
    return then.call(
      resolved((result as IteratorResult<unknown>).value),
      (value: unknown) => ({ value, done }),
      (error: unknown) => {
        if (!done) this.returnQuietly();
        throw error;
      },
    );
  }

  private returnQuietly(): void {
    try {
      this.iterator.return?.();
    } catch {
      // the rejection goes on
    }
  }

  /** Leaving the loop early: `return()` called and awaited; after an exception (`throwing`), nothing it does counts. */
  *close(throwing: boolean): Generator<unknown, void, unknown> {
    if (!this.open) return;
    this.open = false;
    if (throwing) {
      try {
        const finish = this.iterator.return;
        if (finish !== undefined && finish !== null) {
          const step = finish.call(this.iterator);
          if (!this.sync) yield step;
        }
      } catch {
        // the loop's own exception goes on
      }
      return;
    }
    const finish = this.iterator.return;
    if (finish === undefined || finish === null) return;
    const step = finish.call(this.iterator);
    const result = yield this.sync ? this.fromSync(step) : step;
    if (!isObject(result)) throw new TypeError(`Iterator result ${String(result)} is not an object`);
  }
}

function isObject(value: unknown): boolean {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}
