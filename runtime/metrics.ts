import type { Attributes, Context, Histogram, Meter, MeterProvider } from '@opentelemetry/api';
import { merged } from './attributes.js';
import { globalRegistry } from './tracer.js';
import { VERSION } from './version.js';

/**
 * The duration histograms of the semantic conventions that tags record, in seconds, with the
 * bucket boundaries the conventions advise for each (the same list for RPC, HTTP and messaging).
 * Their descriptions are the conventions' and are left to them: the names say it, and this module
 * is part of `spanweave/runtime`'s size budget.
 */
export type DurationHistogram =
  | 'rpc.server.call.duration'
  | 'rpc.client.call.duration'
  | 'http.server.request.duration'
  | 'http.client.request.duration'
  | 'messaging.client.operation.duration'
  | 'messaging.process.duration';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** `SPANWEAVE_METRICS=false` turns every tag's metrics off (read once, at load). */
const METRICS_OFF = /^(false|off|0|no)$/i.test((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.SPANWEAVE_METRICS ?? '');

let knownProvider: MeterProvider | undefined;
let meter: Meter | undefined;
const histograms = new Map<DurationHistogram, Histogram>();

/**
 * One operation's duration, from its start to `record`, into its conventional histogram. Started
 * beside the operation's span: a sampler that drops the span does not drop the measurement.
 */
export class Duration {
  private readonly start = performance.now();

  constructor(
    private readonly histogram: Histogram,
    private readonly attributes: Attributes,
  ) {}

  /**
   * Records once, with the attributes known at the end, in `spanContext` (the operation's span
   * active, so that a MeterProvider that keeps exemplars links the bucket to the trace).
   */
  record(attributes: Attributes, spanContext: Context): void {
    try {
      this.histogram.record((performance.now() - this.start) / 1000, merged(this.attributes, attributes), spanContext);
    } catch {
      // a broken SDK: the program goes on
    }
  }
}

/**
 * The duration of an operation starting now, or undefined when no MeterProvider is registered (or
 * metrics are off); its attributes are built only then.
 */
export function startDuration(name: DurationHistogram, attributes: () => Attributes): Duration | undefined {
  const histogram = histogramOf(name);
  return histogram && new Duration(histogram, attributes());
}

function histogramOf(name: DurationHistogram): Histogram | undefined {
  const provider = METRICS_OFF ? undefined : globalRegistry()?.metrics;
  if (provider === undefined) return undefined;
  if (provider !== knownProvider) {
    knownProvider = provider;
    meter = provider.getMeter('spanweave', VERSION);
    histograms.clear();
  }
  let histogram = histograms.get(name);
  if (histogram === undefined) {
    histogram = meter!.createHistogram(name, { unit: 's', advice: { explicitBucketBoundaries: BUCKETS } });
    histograms.set(name, histogram);
  }
  return histogram;
}
