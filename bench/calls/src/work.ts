// The functions whose per-call cost bench/calls.mjs measures: the same body untraced, traced by a
// tag, and traced by hand with startActiveSpan (what the tag should cost no more than).
import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';

/** A small piece of real work (~100 ns): formats an order line. */
function body(n: number): string {
  return `order ${n}: ${(n * 1.07).toFixed(2)} EUR`;
}

export function plain(n: number): string {
  return body(n);
}

/** @traced */
export function tagged(n: number): string {
  return body(n);
}

const tracer = trace.getTracer('bench');

function recordError(span: Span, error: Error): void {
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/** What a careful person writes by hand: the span active around the body, errors recorded. */
export function handWritten(n: number): string {
  return tracer.startActiveSpan('handWritten', (span: Span) => {
    try {
      return body(n);
    } catch (error) {
      recordError(span, error as Error);
      throw error;
    } finally {
      span.end();
    }
  });
}

export async function plainAsync(n: number): Promise<string> {
  await null;
  return body(n);
}

/** @traced */
export async function taggedAsync(n: number): Promise<string> {
  await null;
  return body(n);
}

/** By hand, the function kept `async`: the same function, as its author would instrument it. */
export async function handWrittenAsync(n: number): Promise<string> {
  return tracer.startActiveSpan('handWrittenAsync', spanAround(n));
}

/** By hand, the cheapest form: no longer an async function itself (so one promise fewer). */
export function handWrittenPromise(n: number): Promise<string> {
  return tracer.startActiveSpan('handWrittenPromise', spanAround(n));
}

function spanAround(n: number) {
  return async (span: Span): Promise<string> => {
    try {
      await null;
      return body(n);
    } catch (error) {
      recordError(span, error as Error);
      throw error;
    } finally {
      span.end();
    }
  };
}

/** The empty body: what a call costs with nothing to do, to show the fixed overhead in ns. */
export function plainEmpty(n: number): number {
  return n;
}

/** @traced */
export function taggedEmpty(n: number): number {
  return n;
}

/**
 * A message hop: a PRODUCER span, its context injected into the message's headers, and (with a
 * MeterProvider) its duration metric.
 * @traced producer into=headers attr.messaging.system="bench"
 */
export function taggedProducer(n: number, headers: Record<string, string> = {}): string {
  return body(n) + (headers.traceparent ?? '').slice(0, 0);
}
