/**
 * Sampling across hops (fixtures/hops, real servers on 127.0.0.1) with the sampler a service sets
 * with OTEL_TRACES_SAMPLER=parentbased_traceidratio: a public endpoint decides afresh and links to
 * its caller whatever the caller decided, each trace it starts is whole or absent through HTTP,
 * gRPC and the queue, and a batch consumer links every message it receives, kept or not. The
 * five-process demo under the same sampler is in test/demo.test.ts.
 */
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { compileWithTspc } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';
import { api, installSdk, ParentBasedSampler, TraceIdRatioBasedSampler, type FinishedSpan, type TestSdk } from './helpers/sdk.js';
import type * as AppModule from '../fixtures/hops/src/app.js';
import type * as EdgeModule from '../fixtures/hops/src/edge.js';
import type * as WorkerModule from '../fixtures/hops/src/worker.js';

const { SpanKind, TraceFlags } = api;

let sdk: TestSdk;
let hops: AppModule.Hops;
let edge: typeof EdgeModule;
let worker: typeof WorkerModule;

beforeAll(async () => {
  const build = compileWithTspc(join(fixturesDir, 'hops'), [], join(fixturesDir, 'hops/out-sampling'));
  expect(build.output).toBe('');
  sdk = installSdk([], new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.5) }));
  hops = await build.load<typeof AppModule>('app').startHops();
  edge = build.load<typeof EdgeModule>('edge');
  worker = build.load<typeof WorkerModule>('worker');
});
beforeEach(() => sdk.reset());
afterAll(async () => {
  await hops?.close();
  sdk?.uninstall();
});

/** The spans of one bought item, from the edge through HTTP, gRPC and the queue. */
const WHOLE_TRACE = [
  'GET /buy SERVER',
  'POST /orders/:item SERVER',
  'POST CLIENT',
  'publish PRODUCER',
  'ship CONSUMER',
  'stock.Inventory/Reserve CLIENT',
  'stock.Inventory/Reserve SERVER',
];

const byTrace = (spans: readonly FinishedSpan[]): Map<string, FinishedSpan[]> => {
  const traces = new Map<string, FinishedSpan[]>();
  for (const span of spans) traces.set(span.spanContext().traceId, [...(traces.get(span.spanContext().traceId) ?? []), span]);
  return traces;
};

it('a public endpoint decides afresh, links to its caller, and each trace it starts is whole or absent', async () => {
  const callers: Array<{ traceId: string; sampled: boolean }> = [];
  for (let i = 0; i < 60; i++) {
    const traceId = (i + 1).toString(16).padStart(32, 'a');
    const sampled = i % 2 === 0;
    callers.push({ traceId, sampled });
    const request = new Request('http://edge.example/buy?item=pen', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-0${sampled ? 1 : 0}` } });
    expect((await hops.edge(request)).status).toBe(200);
    await worker.work(hops.queue, 1);
  }
  // A server span may end just after its client saw the answer.
  await vi.waitFor(() => expect(sdk.spans().length % WHOLE_TRACE.length).toBe(0), { timeout: 5000 });
  const roots = sdk.spans().filter((span) => span.name === 'GET /buy');
  const linkedCaller = (span: FinishedSpan) => callers.find((caller) => caller.traceId === span.links[0]?.context.traceId)!;
  // Kept and dropped alike among callers that kept their trace and callers that did not: the caller's decision is not followed.
  expect(new Set(roots.map((root) => linkedCaller(root).sampled))).toEqual(new Set([true, false]));
  expect(roots.length).toBeGreaterThan(0);
  expect(roots.length).toBeLessThan(60);
  for (const root of roots) {
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.links).toHaveLength(1);
    expect(root.links[0]!.context.traceFlags).toBe(linkedCaller(root).sampled ? TraceFlags.SAMPLED : TraceFlags.NONE);
  }
  for (const trace of byTrace(sdk.spans()).values()) {
    const ids = new Set(trace.map((span) => span.spanContext().spanId));
    expect(trace.filter((span) => !ids.has(span.parentSpanContext?.spanId ?? '')).map((span) => span.name)).toEqual(['GET /buy']);
    expect(trace.map((span) => `${span.name} ${SpanKind[span.kind]}`).sort()).toEqual(WHOLE_TRACE);
  }
});

it('a batch consumer links every message it receives, from kept and dropped traces alike', async () => {
  for (let i = 0; i < 12; i++) expect(await edge.order(hops.web, 'pen', `r-${i}`)).toBe(201);
  const keptProducers = new Set(sdk.spans().filter((span) => span.kind === SpanKind.PRODUCER).map((span) => span.spanContext().spanId));
  expect(keptProducers.size).toBeGreaterThan(0);
  expect(keptProducers.size).toBeLessThan(12);
  sdk.reset();
  // The consumer runs inside a kept trace of its own, so its span is kept too.
  const parent = api.trace.setSpanContext(api.context.active(), { traceId: 'b'.repeat(32), spanId: 'c'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: false });
  const messages = await hops.queue.receive(12);
  expect(api.context.with(parent, () => worker.audit(messages))).toBe(12);
  const audit = sdk.spans().find((span) => span.name === 'audit')!;
  expect(audit.spanContext().traceId).toBe('b'.repeat(32));
  expect(audit.links).toHaveLength(12);
  const flags = audit.links.map((link) => (keptProducers.has(link.context.spanId) ? 'kept' : 'dropped') + (link.context.traceFlags === TraceFlags.SAMPLED ? '/sampled' : '/not sampled'));
  expect(new Set(flags)).toEqual(new Set(['kept/sampled', 'dropped/not sampled']));
});
