import type { Context, Exception, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import { context, diag, trace, SpanKind, SpanStatusCode } from './api.js';
import { bounded, errorType, evaluateAttributes, safeString, type AttributeSource } from './attributes.js';
import type { Hop } from './hop.js';
import type { Duration } from './metrics.js';

const INTERNAL: SpanOptions = Object.freeze({ kind: SpanKind.INTERNAL });

/** A started span and the context in which the traced function runs; a message hop's duration metric too. */
export interface ActiveSpan {
  readonly span: Span;
  readonly context: Context;
  readonly duration?: Duration;
}

type HopStart = (tracer: Tracer, name: string, attributes: AttributeSource | undefined, hop: Hop) => ActiveSpan;
let startHop: HopStart | undefined;
let warnedOfHops = false;

/**
 * Message hops (`producer` and `consumer` tags) are handed in by spanweave/runtime/messaging
 * (messaging/index.ts), which the transformer imports for those tags only: a program or a page
 * without them carries none of their code (carriers, conventions, metrics).
 */
export function supportHops(start: HopStart): void {
  startHop = start;
}

/**
 * The span of a traced function: INTERNAL, or the kind of its message hop; undefined when the SDK
 * throws (a broken SDK, or a program that removed a global it needs): the function then runs
 * untraced, as it would with no SDK.
 */
export function startSpan(tracer: Tracer, name: string, attributes: AttributeSource | undefined, hop: Hop | undefined): ActiveSpan | undefined {
  try {
    if (hop !== undefined) {
      if (startHop !== undefined) return startHop(tracer, name, attributes, hop);
      if (!warnedOfHops) diag.warn(`spanweave: ${name} is tagged as a message ${hop.kind}; spanweave/runtime/messaging, which traces message hops, is not loaded (code compiled by an older transformer?), so it gets an INTERNAL span`);
      warnedOfHops = true;
    }
    const parent = context.active();
    const options = attributes === undefined ? INTERNAL : { kind: SpanKind.INTERNAL, attributes: evaluateAttributes(attributes) };
    const span = tracer.startSpan(name, options, parent);
    return { span, context: trace.setSpan(parent, span) };
  } catch (error) {
    return sdkFailed(error);
  }
}

/** Runs SDK work for a traced call; what the SDK throws is not the program's and never reaches it. */
export function sdkSafely<T>(work: () => T): T | undefined {
  try {
    return work();
  } catch (error) {
    return sdkFailed(error);
  }
}

function sdkFailed(error: unknown): undefined {
  diag.debug('spanweave: the OpenTelemetry SDK threw; the call goes on untraced', error);
  return undefined;
}

/** Ends a span; an SDK that throws while ending it does not reach the program. */
export function endSpan(span: Span): void {
  try {
    span.end();
  } catch (error) {
    sdkFailed(error);
  }
}

/** Ends a traced call's span and records its duration, if it has one. */
export function endCall(started: ActiveSpan): void {
  endSpan(started.span);
  started.duration?.record({}, started.context);
}

/** The same for a call that threw or rejected. Never throws: the value is the user's. */
export function failCall(started: ActiveSpan, error: unknown): void {
  endWithError(started.span, error);
  started.duration?.record({ 'error.type': errorType(error) }, started.context);
}

/** Records a thrown or rejected value and ends the span. Never throws: the value is the user's. */
export function endWithError(span: Span, error: unknown): void {
  try {
    span.recordException(toException(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
  } catch {
    // A hostile error object (a throwing getter, a revoked proxy) leaves only the status unset.
  }
  endSpan(span);
}

function toException(error: unknown): Exception {
  if (error instanceof Error) return error;
  return bounded(safeString(error));
}

function messageOf(error: unknown): string {
  return bounded(error instanceof Error ? safeString(error.message) : safeString(error));
}

/**
 * A promise the runtime may hand back as an equivalent new one: a native Promise with nothing of
 * its own. A subclass, own properties (an attached `cancel()` or `json()`) or a frozen promise
 * would be lost in a copy, so such a promise is returned as it is.
 */
export function isPlainPromise(value: unknown): value is Promise<unknown> {
  return value instanceof Promise && Object.getPrototypeOf(value) === Promise.prototype && Object.isExtensible(value) && Object.keys(value).length === 0;
}

/**
 * `context.with(ctx, () => fn.call(thisArg, arg))`, except where the context manager cannot enter a
 * context: Node's AsyncLocalStorage before Node 24 throws inside a reaction of a frozen promise
 * (it stores the context on that promise). The function then runs as it would untraced, in the
 * current context, rather than failing because of tracing. One argument at most, and no rest
 * parameters: this runs on every traced call, and each spread or `apply` allocates.
 */
export function withContext<T, A, R>(ctx: Context, fn: (this: T, arg: A) => R, thisArg?: T, arg?: A): R {
  let entered = false;
  try {
    return context.with(ctx, () => {
      entered = true;
      return fn.call(thisArg as T, arg as A);
    });
  } catch (error) {
    if (entered) throw error;
    diag.debug('spanweave: the context manager could not enter the span context; the call runs in the current one', error);
    return fn.call(thisArg as T, arg as A);
  }
}
