import { attributes, field, list } from './otlp-json.js';

/** One histogram series as a service last reported it: cumulative counts per bucket. */
export interface HistogramSeries {
  readonly service: string;
  readonly name: string;
  readonly attributes: Record<string, unknown>;
  readonly count: number;
  readonly bucketCounts: readonly number[];
  readonly explicitBounds: readonly number[];
  /** The fastest and slowest recorded values, when the SDK sent them (OTLP's optional min and max). */
  readonly min?: number;
  readonly max?: number;
}

/** One line of the table: a service's operation, with its calls, errors and percentiles in seconds. */
export interface OperationRow {
  readonly service: string;
  readonly operation: string;
  readonly calls: number;
  readonly errors: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/**
 * With fewer than 5 calls a percentile is one or two calls' bucket interpolated toward the fastest
 * or slowest call (with 4 calls p95 and p99 both lie in the slowest call's bucket): a figure that
 * moves by a bucket's width with the next call, so the table marks it rather than reading as a tail.
 */
const FEW_CALLS = 5;

/** Whether a row's percentiles rest on fewer calls than the table trusts (marked `~` in it). */
export function restsOnFewCalls(row: OperationRow): boolean {
  return row.calls < FEW_CALLS;
}

const CUMULATIVE = 2;

/**
 * The histogram series of an OTLP/JSON ExportMetricsServiceRequest, keyed so that a later report
 * of the same series replaces the earlier one (cumulative temporality, the SDK's default) or adds
 * to it (delta). Tolerant: a field missing or of the wrong type reads as empty.
 */
export function addOtlpJsonMetrics(series: Map<string, HistogramSeries>, request: unknown): void {
  for (const resourceMetrics of list(field(request, 'resourceMetrics'))) {
    const service = String(attributes(field(field(resourceMetrics, 'resource'), 'attributes'))['service.name'] ?? 'unknown_service');
    for (const scopeMetrics of list(field(resourceMetrics, 'scopeMetrics'))) {
      for (const metric of list(field(scopeMetrics, 'metrics'))) {
        const histogram = field(metric, 'histogram');
        const cumulative = Number(field(histogram, 'aggregationTemporality')) === CUMULATIVE;
        const name = String(field(metric, 'name') ?? '');
        for (const point of list(field(histogram, 'dataPoints'))) {
          const next: HistogramSeries = {
            service,
            name,
            attributes: attributes(field(point, 'attributes')),
            count: Number(field(point, 'count') ?? 0),
            bucketCounts: list(field(point, 'bucketCounts')).map(Number),
            explicitBounds: list(field(point, 'explicitBounds')).map(Number),
            min: finite(field(point, 'min')),
            max: finite(field(point, 'max')),
          };
          const key = JSON.stringify([service, name, Object.entries(next.attributes).sort()]);
          const previous = series.get(key);
          series.set(
            key,
            cumulative || previous === undefined
              ? next
              : {
                  ...next,
                  count: previous.count + next.count,
                  bucketCounts: next.bucketCounts.map((n, i) => n + (previous.bucketCounts[i] ?? 0)),
                  min: lowest(previous.min, next.min),
                  max: highest(previous.max, next.max),
                },
          );
        }
      }
    }
  }
}

/** What each served operation is called in the table: the server and consumer side of every tag kind. */
const OPERATIONS: Record<string, (attributes: Record<string, unknown>) => string> = {
  'rpc.server.call.duration': (a) => String(a['rpc.method']),
  'http.server.request.duration': (a) => `${String(a['http.request.method'])} ${String(a['http.route'] ?? '')}`.trim(),
  'messaging.process.duration': (a) => `process ${String(a['messaging.destination.name'] ?? a['messaging.system.name'] ?? a['messaging.system'] ?? '')}`.trim(),
};

/** Rows per service and operation, the series of every status merged; percentiles from the buckets. */
export function operationRows(series: Iterable<HistogramSeries>): OperationRow[] {
  interface Merged { service: string; operation: string; calls: number; errors: number; buckets: number[]; bounds: readonly number[]; min?: number; max?: number }
  const merged = new Map<string, Merged>();
  for (const s of series) {
    const operation = OPERATIONS[s.name]?.(s.attributes);
    if (operation === undefined) continue;
    const key = `${s.service}\u0000${operation}`;
    const row: Merged = merged.get(key) ?? { service: s.service, operation, calls: 0, errors: 0, buckets: s.bucketCounts.map(() => 0), bounds: s.explicitBounds };
    row.calls += s.count;
    if (s.attributes['error.type'] !== undefined) row.errors += s.count;
    s.bucketCounts.forEach((n, i) => (row.buckets[i] = (row.buckets[i] ?? 0) + n));
    row.min = lowest(row.min, s.min);
    row.max = highest(row.max, s.max);
    merged.set(key, row);
  }
  return [...merged.values()]
    .sort((a, b) => a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation))
    .map(({ service, operation, calls, errors, buckets, bounds, min, max }) => ({
      service,
      operation,
      calls,
      errors,
      p50: quantile(buckets, bounds, 0.5, { min, max }),
      p95: quantile(buckets, bounds, 0.95, { min, max }),
      p99: quantile(buckets, bounds, 0.99, { min, max }),
    }));
}

/**
 * The q-quantile of a histogram, interpolated linearly inside the bucket it falls in (as
 * Prometheus's histogram_quantile does), within the recorded minimum and maximum where known: the
 * bucket holding the fastest call starts at it and the one holding the slowest ends at it, so no
 * estimate lies outside what was measured. In the last, unbounded bucket with no maximum known,
 * its lower bound.
 */
export function quantile(buckets: readonly number[], bounds: readonly number[], q: number, observed: { readonly min?: number; readonly max?: number } = {}): number {
  const total = buckets.reduce((sum, n) => sum + n, 0);
  if (total === 0) return 0;
  const within = (value: number): number => Math.min(Math.max(value, observed.min ?? -Infinity), observed.max ?? Infinity);
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i]!;
    if (seen + count >= rank && count > 0) {
      const lower = within(i === 0 ? 0 : bounds[i - 1]!);
      const upper = within(bounds[i] ?? Infinity);
      return upper === Infinity ? lower : lower + ((upper - lower) * (rank - seen)) / count;
    }
    seen += count;
  }
  return within(bounds[bounds.length - 1] ?? 0);
}

function finite(value: unknown): number | undefined {
  const number = typeof value === 'string' || typeof value === 'number' ? Number(value) : NaN;
  return Number.isFinite(number) ? number : undefined;
}

function lowest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function highest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/** A percentile cell in milliseconds, `~` in front when its row rests on few calls. */
export function formatPercentile(seconds: number, row: OperationRow): string {
  return `${restsOnFewCalls(row) ? '~' : ''}${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1)} ms`;
}

/** What `~` means, for under a table that has any. */
export const FEW_CALLS_NOTE = `~ fewer than ${FEW_CALLS} calls: the percentiles only interpolate between the fastest and the slowest call`;

/** The rows as a text table: calls and errors counted, percentiles in milliseconds. */
export function renderMetricsTable(rows: readonly OperationRow[]): string {
  const header = ['service', 'operation', 'calls', 'errors', 'p50', 'p95', 'p99'];
  const cells = rows.map((r) => [r.service, r.operation, String(r.calls), String(r.errors), formatPercentile(r.p50, r), formatPercentile(r.p95, r), formatPercentile(r.p99, r)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]): string => row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const note = rows.some(restsOnFewCalls) ? ['', FEW_CALLS_NOTE] : [];
  return [line(header), ...cells.map(line), ...note].join('\n');
}
