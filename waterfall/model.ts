import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** A finished span as the waterfall shows it; plain data, so it can be embedded in HTML as JSON. */
export interface WaterfallSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: string;
  readonly service: string;
  /** Milliseconds since the epoch. */
  readonly startMs: number;
  readonly durationMs: number;
  readonly status: { readonly code: 'UNSET' | 'OK' | 'ERROR'; readonly message?: string };
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly events: ReadonlyArray<{ readonly name: string; readonly timeMs: number; readonly attributes: Readonly<Record<string, unknown>> }>;
  readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string }>;
  readonly resource: Readonly<Record<string, unknown>>;
}

const KINDS = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUSES = ['UNSET', 'OK', 'ERROR'] as const;

const toMs = ([seconds, nanos]: readonly [number, number]): number => seconds * 1e3 + nanos / 1e6;

export function fromReadableSpan(span: ReadableSpan): WaterfallSpan {
  const resource = { ...span.resource.attributes };
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: KINDS[span.kind] ?? String(span.kind),
    service: String(resource['service.name'] ?? 'unknown_service'),
    startMs: toMs(span.startTime),
    durationMs: toMs(span.duration),
    status: { code: STATUSES[span.status.code] ?? 'UNSET', message: span.status.message },
    attributes: { ...span.attributes },
    events: span.events.map((event) => ({ name: event.name, timeMs: toMs(event.time), attributes: { ...event.attributes } })),
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId })),
    resource,
  };
}

/** One trace's spans in display order (depth-first, children by start time), with their depth. */
export interface TraceView {
  readonly traceId: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly rows: ReadonlyArray<{ readonly span: WaterfallSpan; readonly depth: number; readonly last: readonly boolean[] }>;
}

/** Groups spans into traces, in the order each trace started; a span whose parent is missing is a root. */
export function traceViews(spans: readonly WaterfallSpan[]): TraceView[] {
  const byTrace = new Map<string, WaterfallSpan[]>();
  for (const span of spans) byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span]);
  const views: TraceView[] = [];
  for (const [traceId, members] of byTrace) {
    const ids = new Set(members.map((s) => s.spanId));
    const children = new Map<string | undefined, WaterfallSpan[]>();
    for (const span of members) {
      const parent = span.parentSpanId !== undefined && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
      children.set(parent, [...(children.get(parent) ?? []), span]);
    }
    for (const list of children.values()) list.sort((a, b) => a.startMs - b.startMs);
    const rows: Array<TraceView['rows'][number]> = [];
    const walk = (parent: string | undefined, depth: number, last: boolean[]): void => {
      const list = children.get(parent) ?? [];
      list.forEach((span, index) => {
        const isLast = [...last, index === list.length - 1];
        rows.push({ span, depth, last: isLast });
        walk(span.spanId, depth + 1, isLast);
      });
    };
    walk(undefined, 0, []);
    const startMs = Math.min(...members.map((s) => s.startMs));
    const endMs = Math.max(...members.map((s) => s.startMs + s.durationMs));
    views.push({ traceId, startMs, durationMs: endMs - startMs, rows });
  }
  return views.sort((a, b) => a.startMs - b.startMs);
}

/** The message of an error span: its status message, else its exception event's message. */
export function errorMessage(span: WaterfallSpan): string | undefined {
  if (span.status.code !== 'ERROR') return undefined;
  const exception = span.events.find((event) => event.name === 'exception');
  const message = span.status.message || (exception?.attributes['exception.message'] as string | undefined);
  return message === undefined ? undefined : message.length > 120 ? `${message.slice(0, 117)}...` : message;
}

export function formatDuration(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}
