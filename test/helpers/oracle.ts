import { api, type FinishedSpan } from './sdk.js';
import { treeOf } from './trees.js';

/** gRPC status names by number, for the integer `rpc.grpc.status_code` the other tracers record. */
export const STATUS_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

/** A span as the comparisons with another tracer see it, spanweave's or the other's. */
export interface Comparable {
  name: string;
  kind: number;
  spanId: string;
  parentSpanId?: string;
  status: number;
  /** The status name the span records; `-` for none. */
  code: string;
  attributes?: Record<string, unknown>;
  events?: string[];
  start: [number, number];
}

/** `name KIND CODE[ !]` lines, children indented under parents, siblings in start order. */
export const comparableTree = (spans: readonly Comparable[]): string =>
  treeOf(spans, {
    id: (s) => s.spanId,
    parent: (s) => s.parentSpanId,
    start: (s) => s.start,
    label: (s) => `${s.name} ${api.SpanKind[s.kind]} ${s.code}${s.status === api.SpanStatusCode.ERROR ? ' !' : ''}`,
  });

/** One of spanweave's spans, as the comparisons see it. */
export function comparable(span: FinishedSpan): Comparable {
  return {
    name: span.name,
    kind: span.kind,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    status: span.status.code,
    code: String(span.attributes['rpc.status_code'] ?? '-'),
    attributes: { ...span.attributes },
    events: span.events.map((event) => event.name),
    start: span.startTime,
  };
}

/** One of an oracle child's spans (helpers/oracle-spans.cjs): instrumentation-grpc's `grpc.` prefix dropped, its integer status named. */
export function fromOracle(span: Omit<Comparable, 'code'> & { code?: number }): Comparable {
  return { ...span, name: span.name.replace(/^grpc\./, ''), code: span.code === undefined ? '-' : (STATUS_NAMES[span.code] ?? String(span.code)) };
}
