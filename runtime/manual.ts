import type { Attributes, Context, Link, Span, SpanKind } from '@opentelemetry/api';
import { context, diag, propagation, trace } from './api.js';
import { carrierGetter, carrierSetter } from './carriers.js';
import { endSpan, endWithError, isPlainPromise, sdkSafely, withContext } from './span.js';
import { activeTracer } from './tracer.js';

/**
 * The manual API, for hops a tag cannot reach. It produces the same spans as the tags and takes
 * the same carriers: a plain object, a `Map`, fetch `Headers`, grpc-js `Metadata`, or an array of
 * `[key, value]` pairs.
 */

/** Writes the active context (or `ctx`) into `carrier` through the global propagator. Never throws. */
export function inject(carrier: unknown, ctx: Context = context.active()): void {
  try {
    propagation.inject(ctx, carrier, carrierSetter);
  } catch (error) {
    diag.debug('spanweave: inject failed', error);
  }
}

/**
 * The context that `carrier` carries, on top of the active context (or `ctx`). A missing or
 * malformed carrier gives that context back unchanged, so a span started under it starts a new
 * trace. Never throws.
 */
export function extract(carrier: unknown, ctx: Context = context.active()): Context {
  try {
    return propagation.extract(ctx, carrier, carrierGetter);
  } catch (error) {
    diag.debug('spanweave: extract failed', error);
    return ctx;
  }
}

export interface WithSpanOptions {
  /** Default INTERNAL. */
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  readonly links?: Link[];
  /** The parent context; default the active one. Pass `extract(headers)` to continue a caller's trace. */
  readonly parent?: Context;
  /** Start a new trace whatever the parent. */
  readonly root?: boolean;
}

/**
 * Runs `fn` inside a new span, active while it runs and in what it schedules, and ends the span
 * when `fn` returns or, if it returns a plain native promise, when that settles (as for a
 * `@traced` function: a promise that carries something of its own is returned as it is). A thrown or rejected
 * value is recorded and set as the error status, as for a `@traced` function, and rethrown
 * unchanged. With no SDK registered, `fn` gets a non-recording span and runs directly.
 */
export function withSpan<T>(name: string, fn: (span: Span) => T, options: WithSpanOptions = {}): T {
  const tracer = activeTracer();
  if (tracer === undefined) return fn(trace.wrapSpanContext(INVALID));
  const parent = options.parent ?? context.active();
  const span = sdkSafely(() => tracer.startSpan(name, { kind: options.kind, attributes: options.attributes, links: options.links, root: options.root }, parent));
  if (span === undefined) return fn(trace.wrapSpanContext(INVALID));
  let result: T;
  try {
    result = withContext(trace.setSpan(parent, span), fn, undefined, span);
  } catch (error) {
    endWithError(span, error);
    throw error;
  }
  if (!isPlainPromise(result)) {
    endSpan(span);
    return result;
  }
  return result.then(
    (value: unknown) => {
      endSpan(span);
      return value;
    },
    (error: unknown) => {
      endWithError(span, error);
      throw error;
    },
  ) as T;
}

const INVALID = { traceId: '00000000000000000000000000000000', spanId: '0000000000000000', traceFlags: 0 };
