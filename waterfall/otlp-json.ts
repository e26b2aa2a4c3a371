import type { WaterfallSpan } from './model.js';

/**
 * Spans of an OTLP/JSON ExportTraceServiceRequest (what OTLP/HTTP exporters send with
 * `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`), as the waterfall shows them. Tolerant: a field that is
 * missing or of the wrong type becomes empty, never an exception.
 */
export function fromOtlpJson(request: unknown): WaterfallSpan[] {
  const spans: WaterfallSpan[] = [];
  for (const resourceSpans of list(field(request, 'resourceSpans'))) {
    const resource = attributes(field(field(resourceSpans, 'resource'), 'attributes'));
    const service = String(resource['service.name'] ?? 'unknown_service');
    for (const scopeSpans of list(field(resourceSpans, 'scopeSpans'))) {
      for (const span of list(field(scopeSpans, 'spans'))) {
        const startMs = nanosToMs(field(span, 'startTimeUnixNano'));
        const status = field(span, 'status');
        const parentSpanId = id(field(span, 'parentSpanId'));
        spans.push({
          traceId: id(field(span, 'traceId')),
          spanId: id(field(span, 'spanId')),
          parentSpanId: parentSpanId === '' ? undefined : parentSpanId,
          name: String(field(span, 'name') ?? ''),
          kind: KINDS[Number(field(span, 'kind'))] ?? 'INTERNAL',
          service,
          startMs,
          durationMs: Math.max(nanosToMs(field(span, 'endTimeUnixNano')) - startMs, 0),
          status: { code: STATUSES[Number(field(status, 'code') ?? 0)] ?? 'UNSET', message: optionalString(field(status, 'message')) },
          attributes: attributes(field(span, 'attributes')),
          events: list(field(span, 'events')).map((event) => ({
            name: String(field(event, 'name') ?? ''),
            timeMs: nanosToMs(field(event, 'timeUnixNano')),
            attributes: attributes(field(event, 'attributes')),
          })),
          links: list(field(span, 'links')).map((link) => ({ traceId: id(field(link, 'traceId')), spanId: id(field(link, 'spanId')) })),
          resource,
        });
      }
    }
  }
  return spans;
}

/** OTLP's SpanKind and StatusCode numbering (0 is "unspecified"). */
const KINDS: Record<number, string> = { 1: 'INTERNAL', 2: 'SERVER', 3: 'CLIENT', 4: 'PRODUCER', 5: 'CONSUMER' };
const STATUSES = ['UNSET', 'OK', 'ERROR'] as const;

export function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** int64 nanoseconds, sent as a decimal string (or a number) in OTLP/JSON. */
function nanosToMs(value: unknown): number {
  if (typeof value === 'number') return value / 1e6;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return 0;
  const nanos = BigInt(value);
  return Number(nanos / 1_000_000n) + Number(nanos % 1_000_000n) / 1e6;
}

/** OTLP/JSON carries ids as hex; protobuf-JSON from other encoders may use base64. */
function id(value: unknown): string {
  if (typeof value !== 'string') return '';
  if (/^([0-9a-f]{16}|[0-9a-f]{32})$/i.test(value)) return value.toLowerCase();
  return Buffer.from(value, 'base64').toString('hex');
}

export function attributes(value: unknown): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const entry of list(value)) {
    const key = field(entry, 'key');
    if (typeof key === 'string') result[key] = anyValue(field(entry, 'value'));
  }
  return result;
}

function anyValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const [kind, inner] = Object.entries(value)[0] ?? [];
  switch (kind) {
    case 'intValue':
      return Number(inner);
    case 'arrayValue':
      return list(field(inner, 'values')).map(anyValue);
    case 'kvlistValue':
      return attributes(field(inner, 'values'));
    default:
      return inner;
  }
}
