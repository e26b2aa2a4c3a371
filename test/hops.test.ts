/**
 * fixtures/hops: every kind of hop in one call chain, compiled with tspc and run for real on
 * 127.0.0.1 with a real SDK: a fetch-style edge handler and traced fetch / http.request clients,
 * a node:http service, a gRPC service, and a producer -> in-process queue -> consumer.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import * as http from 'node:http';
import { join } from 'node:path';
import { compileWithTspc } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';
import { finishedTree } from './helpers/trees.js';
import { api, installSdk, type FinishedSpan, type TestSdk } from './helpers/sdk.js';
import type * as AppModule from '../fixtures/hops/src/app.js';
import type * as EdgeModule from '../fixtures/hops/src/edge.js';
import type * as WorkerModule from '../fixtures/hops/src/worker.js';

const { SpanKind, SpanStatusCode } = api;

let sdk: TestSdk;
let hops: AppModule.Hops;
let edge: typeof EdgeModule;
let worker: typeof WorkerModule;

beforeAll(async () => {
  const build = compileWithTspc(join(fixturesDir, 'hops'), [], join(fixturesDir, 'hops/out-test'));
  expect(build.output).toBe('');
  sdk = installSdk();
  hops = await build.load<typeof AppModule>('app').startHops();
  edge = build.load<typeof EdgeModule>('edge');
  worker = build.load<typeof WorkerModule>('worker');
});
beforeEach(() => sdk.reset());
afterAll(async () => {
  await hops?.close();
  sdk?.uninstall();
});

async function spansWhenDone(count: number): Promise<FinishedSpan[]> {
  await vi.waitFor(() => expect(sdk.spans().length).toBeGreaterThanOrEqual(count), { timeout: 5000, interval: 5 });
  return sdk.spans();
}

/** `name KIND` per span, children indented under their parent; `!` marks an error status. */
const tree = (spans: readonly FinishedSpan[]): string => finishedTree(spans, (span) => `${span.name} ${SpanKind[span.kind]}${span.status.code === SpanStatusCode.ERROR ? ' !' : ''}`);

function only(spans: readonly FinishedSpan[], kind: number, name?: string): FinishedSpan {
  const found = spans.filter((s) => s.kind === kind && (name === undefined || s.name === name));
  expect(found, `${SpanKind[kind]} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
}

describe('one trace across every hop', () => {
  it('fetch -> HTTP server -> gRPC -> producer -> queue -> consumer', async () => {
    expect(await edge.order(hops.web, 'pen', 'r-1')).toBe(201);
    await worker.work(hops.queue, 1);
    const spans = await spansWhenDone(6);
    expect(tree(spans)).toBe(
      [
        'POST CLIENT',
        '  POST /orders/:item SERVER',
        '    stock.Inventory/Reserve CLIENT',
        '      stock.Inventory/Reserve SERVER',
        '    publish PRODUCER',
        '      ship CONSUMER',
      ].join('\n'),
    );
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);

    const client = only(spans, SpanKind.CLIENT, 'POST');
    expect(client.attributes).toMatchObject({ 'http.request.method': 'POST', 'server.address': '127.0.0.1', 'http.response.status_code': 201 });
    expect(String(client.attributes['url.full'])).not.toContain('secret');
    const server = only(spans, SpanKind.SERVER, 'POST /orders/:item');
    expect(server.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/orders/:item', 'http.response.status_code': 201, 'http.request.header.x-request-id': ['r-1'] });
    expect(only(spans, SpanKind.PRODUCER).attributes).toMatchObject({ 'messaging.operation.type': 'send', 'messaging.destination.name': 'orders' });
    expect(only(spans, SpanKind.CONSUMER).attributes).toMatchObject({ 'messaging.operation.type': 'process', 'messaging.system.name': 'memory' });
  });

  it('http.request as the client', async () => {
    expect(await edge.orderWithRequest(hops.web, 'pen')).toBe(201);
    await worker.work(hops.queue, 1);
    const spans = await spansWhenDone(6);
    expect(tree(spans).split('\n').slice(0, 3)).toEqual(['POST CLIENT', '  POST /orders/:item SERVER', '    stock.Inventory/Reserve CLIENT']);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it('a refusal deep in the chain: an error for the clients, not for the servers that answered it', async () => {
    expect(await edge.order(hops.web, 'unicorn', 'r-2')).toBe(409);
    expect(tree(await spansWhenDone(4))).toBe(
      ['POST CLIENT !', '  POST /orders/:item SERVER', '    stock.Inventory/Reserve CLIENT !', '      stock.Inventory/Reserve SERVER'].join('\n'),
    );
  });
});

describe('public and batch hops link instead of continuing', () => {
  const caller = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };

  it('a public fetch-style handler starts a new trace linked to its caller', async () => {
    const request = new Request('http://edge.example/buy?item=pen', { headers: { traceparent: `00-${caller.traceId}-${caller.spanId}-01`, 'x-request-id': 'r-3' } });
    const response = await hops.edge(request);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('bought');
    await worker.work(hops.queue, 1);
    const spans = await spansWhenDone(7);
    const root = only(spans, SpanKind.SERVER, 'GET /buy');
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.spanContext().traceId).not.toBe(caller.traceId);
    expect(root.links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([[caller.traceId, caller.spanId]]);
    expect(tree(spans).split('\n').slice(0, 3)).toEqual(['GET /buy SERVER', '  POST CLIENT', '    POST /orders/:item SERVER']);
  });

  it('a batch consumer links every message and continues none', async () => {
    for (const item of ['pen', 'pen', 'pen']) expect(await edge.order(hops.web, item, 'r-4')).toBe(201);
    const producers = sdk.spans().filter((s) => s.kind === SpanKind.PRODUCER);
    expect(producers).toHaveLength(3);
    sdk.reset();
    expect(worker.audit(await hops.queue.receive(3))).toBe(3);
    const audit = only(sdk.spans(), SpanKind.CONSUMER, 'audit');
    expect(audit.parentSpanContext).toBeUndefined();
    expect(audit.attributes['messaging.batch.message_count']).toBe(3);
    expect(audit.links.map((link) => link.context.spanId)).toEqual(producers.map((p) => p.spanContext().spanId));
  });
});

describe('messages with no or broken context', () => {
  it.each([
    ['no headers at all', undefined],
    ['a malformed traceparent', { traceparent: 'garbage' }],
    ['an all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }],
    ['a non-string value', { traceparent: 42 }],
  ])('%s: the consumer runs and starts a new trace', async (_, headers) => {
    await worker.ship({ body: JSON.stringify({ item: 'x' }), headers: headers as never });
    const consumer = only(sdk.spans(), SpanKind.CONSUMER, 'ship');
    expect(consumer.parentSpanContext).toBeUndefined();
    expect(worker.shipped.at(-1)).toBe('x');
  });

  it('a carrier expression that throws: the consumer still runs', async () => {
    await worker.ship(null as never).catch((error: unknown) => expect(error).toBeInstanceOf(TypeError));
    expect(only(sdk.spans(), SpanKind.CONSUMER, 'ship').status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('hostile HTTP headers', () => {
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  /** A plain (untraced) request with raw headers, as any client on the network may send. */
  const post = (rawHeaders: string[]): Promise<number> =>
    new Promise((resolve, reject) => {
      const request = http.request(`${hops.web}/orders/pen`, { method: 'POST', headers: ['host', '127.0.0.1', ...rawHeaders] }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', reject);
      request.end();
    });

  it.each([
    ['garbage', ['traceparent', 'garbage']],
    ['two traceparent headers', ['traceparent', valid, 'traceparent', valid.replace('00f0', '11f0')]],
    ['uppercase', ['traceparent', valid.toUpperCase()]],
    ['version ff', ['traceparent', valid.replace(/^00/, 'ff')]],
    ['8 KB of tracestate and baggage', ['traceparent', 'x', 'tracestate', 'a=b,'.repeat(2000), 'baggage', 'k=v,'.repeat(2000)]],
    ['bytes that are not ASCII', ['traceparent', '\u00ff\u00fe-\u00e9']],
  ])('%s: the handler answers and a new trace starts', async (_, headers) => {
    expect(await post(headers as string[])).toBe(201);
    await worker.work(hops.queue, 1);
    const server = only(await spansWhenDone(5), SpanKind.SERVER, 'POST /orders/:item');
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.spanContext().traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('baggage reaches the consumer across HTTP and the queue, and is never recorded', async () => {
    expect(await post(['traceparent', valid, 'baggage', 'tenant=acme'])).toBe(201);
    await worker.work(hops.queue, 1);
    expect(worker.tenants.at(-1)).toBe('acme');
    const spans = await spansWhenDone(5);
    expect(only(spans, SpanKind.CONSUMER, 'ship').spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    for (const span of spans) expect(JSON.stringify(span.attributes)).not.toContain('acme');
  });
});
