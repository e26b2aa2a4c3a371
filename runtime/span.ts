import type { Context, Exception, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import { context, trace, SpanKind, SpanStatusCode } from './api.js';
import { bounded, evaluateAttributes, safeString, type AttributeSource } from './attributes.js';
import { startHopSpan, type Hop } from './hop.js';

const INTERNAL: SpanOptions = Object.freeze({ kind: SpanKind.INTERNAL });

/** A started span and the context in which the traced function runs. */
export interface ActiveSpan {
  readonly span: Span;
  readonly context: Context;
}

/** The span of a traced function: INTERNAL, or the kind of its message hop. */
export function startSpan(tracer: Tracer, name: string, attributes: AttributeSource | undefined, hop: Hop | undefined): ActiveSpan {
  if (hop !== undefined) return startHopSpan(tracer, name, attributes, hop);
  const parent = context.active();
  const options = attributes === undefined ? INTERNAL : { kind: SpanKind.INTERNAL, attributes: evaluateAttributes(attributes) };
  const span = tracer.startSpan(name, options, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Records a thrown or rejected value and ends the span. Never throws: the value is the user's. */
export function endWithError(span: Span, error: unknown): void {
  try {
    span.recordException(toException(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
  } catch {
    // A hostile error object (a throwing getter, a revoked proxy) leaves only the status unset.
  }
  span.end();
}

function toException(error: unknown): Exception {
  if (error instanceof Error) return error;
  return bounded(safeString(error));
}

function messageOf(error: unknown): string {
  return bounded(error instanceof Error ? safeString(error.message) : safeString(error));
}
