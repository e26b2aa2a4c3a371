import { createRequire } from 'node:module';
import type * as Api from '@opentelemetry/api';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import type * as ContextAsyncHooks from '@opentelemetry/context-async-hooks';
import type * as Core from '@opentelemetry/core';
import type * as SdkMetrics from '@opentelemetry/sdk-metrics';

// The same CommonJS copies that compiled fixtures load through spanweave/runtime.
const require = createRequire(import.meta.url);
export const api = require('@opentelemetry/api') as typeof Api;
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof SdkTraceBase;
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof ContextAsyncHooks;
const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof Core;

export type FinishedSpan = SdkTraceBase.ReadableSpan;
export const { AlwaysOffSampler, ParentBasedSampler, TraceIdRatioBasedSampler } = require('@opentelemetry/sdk-trace-base') as typeof SdkTraceBase;

export interface TestSdk {
  /** Spans ended so far, in the order they ended. */
  spans(): FinishedSpan[];
  /** One span by name; fails when there is not exactly one. */
  span(name: string): FinishedSpan;
  reset(): void;
  uninstall(): void;
}

/**
 * Registers a real SDK as an application does: BasicTracerProvider with an in-memory exporter,
 * AsyncLocalStorage context, W3C trace-context and baggage propagation; `processors` see every
 * span first.
 */
export function installSdk(processors: readonly SdkTraceBase.SpanProcessor[] = [], sampler?: SdkTraceBase.Sampler): TestSdk {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [...processors, new SimpleSpanProcessor(exporter)], sampler });
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.trace.setGlobalTracerProvider(provider);
  api.propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  return {
    spans: () => exporter.getFinishedSpans(),
    span(name) {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name);
      if (found.length !== 1) throw new Error(`expected one span '${name}', found ${found.length}: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
      return found[0]!;
    },
    reset: () => exporter.reset(),
    uninstall() {
      api.trace.disable();
      api.context.disable();
      api.propagation.disable();
    },
  };
}

/**
 * The spans as an indented tree of names, children in start order: easy to read in a failed
 * assertion. With `markErrors`, a span whose status is ERROR gets ` !` after its name.
 */
export function spanTree(spans: readonly FinishedSpan[], { markErrors = false } = {}): string {
  const byParent = new Map<string | undefined, FinishedSpan[]>();
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    byParent.set(key, [...(byParent.get(key) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    const children = [...(byParent.get(parent) ?? [])].sort((a, b) => hrtimeNs(a.startTime) - hrtimeNs(b.startTime));
    for (const child of children) {
      const mark = markErrors && child.status.code === api.SpanStatusCode.ERROR ? ' !' : '';
      lines.push(`${'  '.repeat(depth)}${child.name}${mark}`);
      walk(child.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

function hrtimeNs([seconds, nanos]: Api.HrTime): number {
  return seconds * 1e9 + nanos;
}

/** One histogram data point: its attributes, count and buckets. */
export interface HistogramPoint {
  readonly name: string;
  readonly unit: string;
  readonly attributes: Api.Attributes;
  readonly count: number;
  readonly boundaries: number[];
  readonly sum: number;
}

export interface TestMetrics {
  /** spanweave's histogram points collected now (cumulative since install). */
  collect(): Promise<HistogramPoint[]>;
  /** The trace id of the span active at each measurement: what a trace-based exemplar filter reads. */
  readonly traceIds: string[];
  uninstall(): void;
}

/**
 * Registers a real MeterProvider with a reader the test collects from. A view over every
 * instrument keeps the attributes as they are and notes the context each measurement was made in.
 */
export function installMetrics(): TestMetrics {
  const { MeterProvider, MetricReader, DataPointType } = require('@opentelemetry/sdk-metrics') as typeof SdkMetrics;
  class CollectingReader extends MetricReader {
    protected async onShutdown(): Promise<void> {}
    protected async onForceFlush(): Promise<void> {}
  }
  const reader = new CollectingReader();
  const traceIds: string[] = [];
  const noteContext: SdkMetrics.IAttributesProcessor = {
    process(incoming, measurementContext) {
      const spanContext = measurementContext && api.trace.getSpanContext(measurementContext);
      if (spanContext) traceIds.push(spanContext.traceId);
      return incoming;
    },
  };
  const provider = new MeterProvider({ readers: [reader], views: [{ instrumentName: '*', attributesProcessors: [noteContext] }] });
  api.metrics.setGlobalMeterProvider(provider);
  return {
    traceIds,
    async collect() {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics
        .filter((scope) => scope.scope.name === 'spanweave')
        .flatMap((scope) => scope.metrics)
        .filter((metric) => metric.dataPointType === DataPointType.HISTOGRAM)
        .flatMap((metric) =>
          metric.dataPoints.map((point) => {
            const value = point.value as SdkMetrics.Histogram;
            return { name: metric.descriptor.name, unit: metric.descriptor.unit, attributes: point.attributes, count: value.count, boundaries: value.buckets.boundaries, sum: value.sum ?? 0 };
          }),
        );
    },
    uninstall() {
      api.metrics.disable();
      void provider.shutdown();
    },
  };
}
