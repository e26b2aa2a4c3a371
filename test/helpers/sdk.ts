import { createRequire } from 'node:module';
import type * as Api from '@opentelemetry/api';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import type * as ContextAsyncHooks from '@opentelemetry/context-async-hooks';
import type * as Core from '@opentelemetry/core';

// The same CommonJS copies that compiled fixtures load through spanweave/runtime.
const require = createRequire(import.meta.url);
export const api = require('@opentelemetry/api') as typeof Api;
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof SdkTraceBase;
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof ContextAsyncHooks;
const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof Core;

export type FinishedSpan = SdkTraceBase.ReadableSpan;

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
export function installSdk(processors: readonly SdkTraceBase.SpanProcessor[] = []): TestSdk {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [...processors, new SimpleSpanProcessor(exporter)] });
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
