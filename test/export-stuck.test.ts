/**
 * spanweave's own code never waits on export: with an SDK whose exporter never answers (every
 * export hangs, as over a network that accepted the connection and then went silent), traced calls
 * of every kind (sync, async, producer, consumer) run and return as they do with no SDK, and the
 * spans pile up only to the BatchSpanProcessor's queue limit, which drops the rest (the SDK's
 * documented behaviour). The soak measures the same under load with an OTLP endpoint that is down,
 * slow or answering 500/429 (`npm run soak -- --exporter ...`, docs/reliability.md).
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import type * as ContextAsyncHooks from '@opentelemetry/context-async-hooks';
import type * as Runtime from '../runtime/index.js';
import { api } from './helpers/sdk.js';

const require = createRequire(import.meta.url);
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof SdkTraceBase;
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof ContextAsyncHooks;
const runtime = require('spanweave/runtime') as typeof Runtime;
// Message hops come with the entry that code compiled from producer and consumer tags imports.
require('spanweave/runtime/messaging');

/** An exporter that takes every batch and never answers. */
const stuck = {
  calls: 0,
  spans: 0,
  export(spans: readonly unknown[]): void {
    this.calls++;
    this.spans += spans.length;
  },
  shutdown: async (): Promise<void> => undefined,
};
const counts = { started: 0, ended: 0 };
const QUEUE = 512;
let provider: SdkTraceBase.BasicTracerProvider;

beforeAll(() => {
  const counting: SdkTraceBase.SpanProcessor = { onStart: () => void counts.started++, onEnd: () => void counts.ended++, forceFlush: async () => undefined, shutdown: async () => undefined };
  provider = new BasicTracerProvider({ spanProcessors: [counting, new BatchSpanProcessor(stuck, { maxQueueSize: QUEUE, maxExportBatchSize: 64, scheduledDelayMillis: 1, exportTimeoutMillis: 600_000 })] });
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.trace.setGlobalTracerProvider(provider);
  api.propagation.setGlobalPropagator(new (require('@opentelemetry/core').W3CTraceContextPropagator)());
});
afterAll(() => {
  api.trace.disable();
  api.context.disable();
  api.propagation.disable();
});

it('traced calls of every kind run and return while every export hangs', async () => {
  const CALLS = 20_000;
  // Enough spans for the processor to start exports that never end, and to fill its queue.
  for (let i = 0; i < CALLS; i++) {
    expect(runtime.run('sync', () => i)).toBe(i);
    const headers: Record<string, string> = {};
    expect(runtime.run('publish', () => i, undefined, { kind: 'producer', carrier: () => headers })).toBe(i);
    expect(runtime.run('consume', () => i, undefined, { kind: 'consumer', carrier: () => headers })).toBe(i);
    if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve)); // let the processor's timer run
  }
  const values = await Promise.all(
    Array.from({ length: 2_000 }, (_, i) =>
      runtime.runAsync('async', async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return i;
      }),
    ),
  );
  expect(values).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
  expect(counts.started).toBe(CALLS * 3 + 2_000);
  expect(counts.ended).toBe(counts.started);
  // Exports were started and none answered: the calls above went on regardless.
  expect(stuck.calls).toBeGreaterThan(0);
  // What the processor holds is bounded by its queue; the rest was dropped, not kept.
  expect(stuck.spans).toBeLessThanOrEqual(counts.ended);
  const queued = (provider as unknown as { _activeSpanProcessor: { _spanProcessors: Array<{ _finishedSpans?: unknown[] }> } })._activeSpanProcessor._spanProcessors[1]?._finishedSpans?.length;
  expect(queued).toBeLessThanOrEqual(QUEUE);
});
