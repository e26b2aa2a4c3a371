/**
 * spanweave/waterfall: spans from a real SDK (three services, one provider each, sharing one
 * exporter) rendered in the terminal and as HTML, the HTML checked in headless Chromium.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as Api from '@opentelemetry/api';
import type * as Playwright from 'playwright-core';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import type * as Waterfall from '../waterfall/index.js';
import { chromiumAvailable, launchChromium } from './helpers/chromium.js';
import { freshDir, repoRoot } from './helpers/paths.js';
import { api } from './helpers/sdk.js';

const require = createRequire(import.meta.url);
const { WaterfallExporter, operationRows, renderMetricsTable, renderTerminal, renderHtml, startWaterfallReceiver } = require('spanweave/waterfall') as typeof Waterfall;
const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof SdkTraceBase;
const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof Resources;
const { SpanKind, SpanStatusCode, trace, ROOT_CONTEXT } = api;

const HOSTILE = '<img src=x onerror="window.pwned=1">';

/** gateway -> users (fails for one user) and orders (slow), recorded at fixed times. */
function recordTraces(exporter: Waterfall.WaterfallExporter): void {
  const tracer = (service: string) => new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
  const [gateway, users, orders] = ['gateway', 'users', 'orders'].map(tracer) as [Api.Tracer, Api.Tracer, Api.Tracer];
  const at = (base: number, ms: number) => base + ms;
  for (const [base, user] of [[1_700_000_000_000, 'ada'], [1_700_000_001_000, 'nobody']] as const) {
    const root = gateway.startSpan('POST /orders', { kind: SpanKind.SERVER, startTime: base, attributes: { 'http.route': '/orders' } });
    const inRoot = trace.setSpan(ROOT_CONTEXT, root);
    const client = gateway.startSpan('shop.Users/GetUser', { kind: SpanKind.CLIENT, startTime: at(base, 2) }, inRoot);
    const server = users.startSpan('shop.Users/GetUser', { kind: SpanKind.SERVER, startTime: at(base, 4), attributes: { 'user.id': user, note: HOSTILE } }, trace.setSpan(inRoot, client));
    if (user === 'nobody') {
      server.recordException(new Error(`no user ${user}`));
      server.setStatus({ code: SpanStatusCode.ERROR, message: `no user ${user}` });
      client.setStatus({ code: SpanStatusCode.ERROR, message: `no user ${user}` });
    }
    server.end(at(base, 9));
    client.end(at(base, 11));
    if (user === 'ada') {
      const upload = gateway.startSpan('shop.Orders/UploadItems', { kind: SpanKind.CLIENT, startTime: at(base, 12) }, inRoot);
      orders.startSpan('shop.Orders/UploadItems', { kind: SpanKind.SERVER, startTime: at(base, 14) }, trace.setSpan(inRoot, upload)).end(at(base, 80));
      upload.end(at(base, 82));
    }
    root.end(at(base, user === 'ada' ? 85 : 12));
  }
}

let exporter: Waterfall.WaterfallExporter;
beforeAll(() => {
  exporter = new WaterfallExporter({ output: null });
  recordTraces(exporter);
});

describe('terminal', () => {
  it('one waterfall per trace: the tree in order, each service and kind, the errors', () => {
    const text = renderTerminal(exporter.collected(), { width: 120 });
    const rows = text.split('\n').map((line) => line.replace(/ +█[█ ]*[\d.]+ m?s/, ' <bar>').replace(/ {2,}/g, ' ').replace(/[0-9a-f]{32} +[\d.]+ m?s/, '<id>'));
    expect(rows).toEqual([
      'trace <id> 5 spans',
      'POST /orders gateway SERVER <bar>',
      '├─ shop.Users/GetUser gateway CLIENT <bar>',
      '│ └─ shop.Users/GetUser users SERVER <bar>',
      '└─ shop.Orders/UploadItems gateway CLIENT <bar>',
      ' └─ shop.Orders/UploadItems orders SERVER <bar>',
      '',
      'trace <id> 3 spans 2 with errors',
      'POST /orders gateway SERVER <bar>',
      '└─ shop.Users/GetUser gateway CLIENT <bar> ERROR no user nobody',
      ' └─ shop.Users/GetUser users SERVER <bar> ERROR no user nobody',
    ]);
    expect(text).not.toMatch(/\u001b\[/);
    expect(Math.max(...text.split('\n').map((line) => line.length))).toBeLessThanOrEqual(120 + 40); // + the error text
  });

  it('places each bar on the trace\'s time axis', () => {
    const lines = renderTerminal(exporter.collected(), { width: 100 }).split('\n').slice(1, 6);
    const starts = lines.map((line) => line.indexOf('█'));
    // root at 0 ms, users client at 2, users server at 4, orders client at 12, orders server at 14
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(starts[0]).toBeLessThan(starts[3]!);
    const lengths = lines.map((line) => (line.match(/█+/) ?? [''])[0].length);
    expect(lengths[4]).toBeGreaterThan(lengths[1]! * 5); // 66 ms against 9 ms
  });

  it('colors only when asked', () => {
    expect(renderTerminal(exporter.collected(), { color: true })).toMatch(/\u001b\[31m/);
  });

  it('the exporter prints each trace once, on flush', async () => {
    const chunks: string[] = [];
    const printing = new WaterfallExporter({ output: { write: (chunk: string) => chunks.push(chunk) } as unknown as NodeJS.WritableStream });
    recordTraces(printing);
    await printing.forceFlush();
    await printing.shutdown();
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.match(/^trace /gm)).toHaveLength(2);
  });
});

describe('the OTLP/JSON receiver (spans of services in other processes)', () => {
  it('shows what the official OTLP/HTTP JSON exporter sends, gzipped, exactly as the in-process exporter does', async () => {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    const receiver = await startWaterfallReceiver();
    try {
      const otlp = new OTLPTraceExporter({ url: `${receiver.endpoint}/v1/traces`, compression: 'gzip' as never });
      const local = new WaterfallExporter({ output: null });
      // The same spans to both exporters.
      recordTraces({ export: (spans, done) => (local.export(spans, () => undefined), otlp.export(spans, done)) } as Waterfall.WaterfallExporter);
      await otlp.shutdown();
      expect(receiver.spans()).toHaveLength(local.collected().length);
      const byId = (spans: readonly Waterfall.WaterfallSpan[]) => [...spans].sort((a, b) => a.spanId.localeCompare(b.spanId));
      expect(byId(receiver.spans())).toEqual(byId(local.collected()));
      expect(renderTerminal(receiver.spans())).toBe(renderTerminal(local.collected()));
    } finally {
      await receiver.close();
    }
  });

  it('answers what it cannot read with a status and a reason, and keeps serving', async () => {
    const receiver = await startWaterfallReceiver();
    try {
      const post = (body: string, type: string) => fetch(`${receiver.endpoint}/v1/traces`, { method: 'POST', body, headers: { 'content-type': type } });
      const protobuf = await post('\u0000', 'application/x-protobuf');
      expect([protobuf.status, await protobuf.text()]).toEqual([415, '{"message":"this receiver reads OTLP/JSON: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json"}']);
      expect((await post('{"resourceSpans": [', 'application/json')).status).toBe(400);
      expect((await fetch(`${receiver.endpoint}/`)).status).toBe(404);
      const odd = await post('{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 7, "kind": "x", "traceId": "AAEC", "attributes": [{"key": "k"}, 3]}]}]}, null]}', 'application/json');
      expect(odd.status).toBe(200);
      expect(receiver.spans().map((span) => [span.name, span.kind, span.traceId, span.service, span.attributes])).toEqual([['7', 'INTERNAL', '000102', 'unknown_service', { k: undefined }]]);
    } finally {
      await receiver.close();
    }
  });

  // A page's exporter posts JSON from another origin, which the browser preflights (the demo's
  // click trace in test/demo.test.ts is the same in Chromium).
  it('answers the preflight of a page from another origin, and lets the page read its answers', async () => {
    const receiver = await startWaterfallReceiver();
    try {
      const origin = 'http://127.0.0.1:5173';
      const preflight = await fetch(`${receiver.endpoint}/v1/traces`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(preflight.status).toBe(204);
      const allowed: Record<string, string> = {};
      preflight.headers.forEach((value, name) => name.startsWith('access-control-') && (allowed[name] = value));
      expect(allowed).toEqual({
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type',
        'access-control-max-age': '600',
      });
      expect((await fetch(`${receiver.endpoint}/`, { method: 'OPTIONS', headers: { origin } })).status).toBe(404);
      const post = (body: string) => fetch(`${receiver.endpoint}/v1/traces`, { method: 'POST', body, headers: { origin, 'content-type': 'application/json' } });
      for (const answer of [await post('{"resourceSpans": []}'), await post('{')]) {
        expect(answer.headers.get('access-control-allow-origin'), String(answer.status)).toBe('*');
      }
    } finally {
      await receiver.close();
    }
  });
});

describe('the operations table (duration histograms the official OTLP/HTTP JSON exporter sends)', () => {
  const { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http');
  // The runtime's buckets (runtime/metrics.ts): the conventions' advice.
  const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

  /** Each batch of durations (seconds) recorded and exported in turn; the rows the receiver makes of them. */
  async function rowsOf(batches: readonly (readonly number[])[], temporality = AggregationTemporality.CUMULATIVE): Promise<Waterfall.OperationRow[]> {
    const receiver = await startWaterfallReceiver();
    try {
      const exporter = new OTLPMetricExporter({ url: `${receiver.endpoint}/v1/metrics`, temporalityPreference: temporality });
      const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
      const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'users' }), readers: [reader] });
      const histogram = provider.getMeter('spanweave').createHistogram('rpc.server.call.duration', { unit: 's', advice: { explicitBucketBoundaries: BUCKETS } });
      for (const batch of batches) {
        for (const seconds of batch) histogram.record(seconds, { 'rpc.method': 'shop.Users/GetUser' });
        await reader.forceFlush();
      }
      await provider.shutdown();
      return operationRows(receiver.metrics());
    } finally {
      await receiver.close();
    }
  }

  it('keeps every percentile between the fastest and the slowest call (the demo\'s three calls, the slowest 370 ms)', async () => {
    const [row] = await rowsOf([[0.004, 0.09, 0.37]]);
    // The buckets alone put p95 and p99 at 462.5 and 492.5 ms, inside (0.25, 0.5]; that bucket ends at the slowest call.
    expect(row!.p95).toBeCloseTo(0.25 + 0.12 * 0.85, 9);
    expect(row!.p99).toBeCloseTo(0.25 + 0.12 * 0.97, 9);
    expect(row!.p50).toBeCloseTo(0.0875, 9);
    for (const p of [row!.p50, row!.p95, row!.p99]) expect(p).toBeGreaterThanOrEqual(0.004), expect(p).toBeLessThanOrEqual(0.37);
  });

  it('one call: every percentile is that call; beyond the last bound: no higher than the slowest', async () => {
    const [one] = await rowsOf([[0.0123]]);
    expect([one!.p50, one!.p95, one!.p99]).toEqual([0.0123, 0.0123, 0.0123]);
    const [slow] = await rowsOf([[11, 12, 12.5, 13, 14]]);
    for (const p of [slow!.p50, slow!.p95, slow!.p99]) expect(p).toBeGreaterThan(10), expect(p).toBeLessThanOrEqual(14);
  });

  it('with delta temporality, keeps the minimum and maximum over every report', async () => {
    const [row] = await rowsOf([[0.3], [0.001, 0.26]], AggregationTemporality.DELTA);
    expect(row!.calls).toBe(3);
    // Two calls in (0.25, 0.5], which ends at the first report's 300 ms, not the second's 260 ms.
    expect(row!.p99).toBeCloseTo(0.25 + (0.05 * 1.97) / 2, 9);
  });

  it('marks the figures of an operation with fewer than 5 calls, and says what the mark means', async () => {
    const few = await rowsOf([[0.001, 0.002, 0.003, 0.004]]);
    const enough = await rowsOf([[0.001, 0.002, 0.003, 0.004, 0.005]]);
    const lines = renderMetricsTable([...few, ...enough.map((row) => ({ ...row, service: 'orders' }))]).split('\n').map((line) => line.replace(/ {2,}/g, ' '));
    expect(lines.map((line) => line.replace(/[\d.]+ ms/g, '<ms>'))).toEqual([
      'service operation calls errors p50 p95 p99',
      'users shop.Users/GetUser 4 0 ~<ms> ~<ms> ~<ms>',
      'orders shop.Users/GetUser 5 0 <ms> <ms> <ms>',
      '',
      '~ fewer than 5 calls: the percentiles only interpolate between the fastest and the slowest call',
    ]);
    expect(renderMetricsTable(enough)).not.toContain('~');
    expect(renderHtml([], { operations: few })).toMatch(/<td>~[\d.]+ ms<\/td>.*~ fewer than 5 calls/s);
  });
});

describe.skipIf(!chromiumAvailable())('HTML in headless Chromium', () => {
  let browser: Playwright.Browser;
  let page: Playwright.Page;
  const requests: string[] = [];

  beforeAll(async () => {
    const file = join(freshDir('waterfall'), 'trace.html');
    writeFileSync(file, renderHtml(exporter.collected(), { title: 'shop traces' }));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).href);
    return () => browser.close();
  }, 300_000);

  it('renders every span of every trace', async () => {
    expect(await page.locator('.trace').count()).toBe(2);
    expect(await page.locator('.row').count()).toBe(exporter.collected().length);
    expect(await page.locator('.row.error').count()).toBe(2);
    expect(await page.locator('#summary').textContent()).toBe('8 spans in 2 traces');
  });

  it('shows a span\'s attributes, exception and resource on click', async () => {
    await page.locator('.row.error.SERVER').click();
    const details = page.locator('#details');
    await expect.poll(() => details.locator('h3').textContent()).toBe('shop.Users/GetUser');
    const text = (await details.textContent()) ?? '';
    expect(text).toContain('user.id');
    expect(text).toContain('nobody');
    expect(text).toContain('Event: exception');
    expect(text).toContain('no user nobody');
    expect(text).toContain('service.name');
    expect(text).toContain(HOSTILE); // shown as text...
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined(); // ...never run
    expect(await details.locator('img').count()).toBe(0);
    if (process.env.UPDATE_SCREENSHOT) {
      mkdirSync(join(repoRoot, 'docs'), { recursive: true });
      await page.screenshot({ path: join(repoRoot, 'docs/waterfall.png') });
    }
  });

  it('loads nothing from the network', () => {
    expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
  });
});
