/**
 * The duration metrics every tag kind records, with a real MeterProvider and real servers on
 * 127.0.0.1: RPC (every stack of fixtures/stacks), HTTP and messaging; exact under any sampler,
 * recorded in the span's context; nothing without a MeterProvider or with metrics turned off.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as Runtime from '../runtime/index.js';
import type * as HttpRuntime from '../runtime/http/index.js';
import { compileWithTspc } from './helpers/compile.js';
import { fixturesDir, repoRoot } from './helpers/paths.js';
import { AlwaysOffSampler, installMetrics, installSdk, type HistogramPoint, type TestMetrics, type TestSdk } from './helpers/sdk.js';
import type { Driver } from '../fixtures/stacks/src/behaviour.js';

const require = createRequire(import.meta.url);
const runtime = require('spanweave/runtime') as typeof Runtime;
// Message hops come with the entry that code compiled from producer and consumer tags imports.
require('spanweave/runtime/messaging');
const httpRuntime = require('spanweave/runtime/http') as typeof HttpRuntime;
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const STACKS = [
  ['grpc-js', 'grpc-js', 'grpc'],
  ['connect', 'connect', 'connectrpc'],
  ['nice-grpc', 'nice', 'grpc'],
  ['nestjs', 'nest', 'grpc'],
] as const;

interface StackModule {
  startServer(): Promise<{ address: string; close(): Promise<void> }>;
  driver(address: string): Driver;
}

let metrics: TestMetrics;
let sdk: TestSdk;
let build: ReturnType<typeof compileWithTspc>;

beforeAll(() => {
  build = compileWithTspc(join(fixturesDir, 'stacks'), [], join(fixturesDir, 'stacks/out-metrics'));
  expect(build.output).toBe('');
});
beforeEach(() => {
  metrics = installMetrics();
});
afterEach(() => {
  metrics.uninstall();
  sdk?.uninstall();
});

/** `name {attributes} count`, one line a point, sorted: the whole of what was recorded. */
function summary(points: readonly HistogramPoint[], name: string): string[] {
  return points
    .filter((point) => point.name === name)
    .map((point) => `${JSON.stringify(Object.fromEntries(Object.entries(point.attributes).sort()))} ${point.count}`)
    .sort();
}

describe.each(STACKS)('%s', (stack, module, system) => {
  let server: { address: string; close(): Promise<void> };
  let driver: Driver;
  beforeAll(async () => {
    server = await build.load<StackModule>(module).startServer();
    driver = build.load<StackModule>(module).driver(server.address);
  });
  afterAll(async () => {
    driver.close();
    await server.close();
  });

  it('one observation per call of every type, by method and status, in seconds with the advised buckets; error.type only on failures', async () => {
    sdk = installSdk();
    await driver.say({ text: 'a' });
    await driver.say({ text: 'b' });
    await expect(driver.say({ text: 'x', fail: 'NOT_FOUND' })).rejects.toBeDefined();
    await expect(driver.say({ text: 'x', fail: 'INTERNAL' })).rejects.toBeDefined();
    await driver.count({ count: 3 });
    await driver.collect(['a', 'b']);
    await driver.chat(['a']);
    await vi.waitFor(async () => expect((await metrics.collect()).filter((p) => p.name === 'rpc.server.call.duration').reduce((n, p) => n + p.count, 0)).toBe(7), { timeout: 5000 });
    const points = await metrics.collect();
    const method = (name: string, status: string, error = false) => `{${error ? `"error.type":"${status}",` : ''}"rpc.method":"stacks.Echo/${name}","rpc.status_code":"${status}","rpc.system.name":"${system}"}`;
    expect(summary(points, 'rpc.server.call.duration')).toEqual(
      [`${method('Chat', 'OK')} 1`, `${method('Collect', 'OK')} 1`, `${method('Count', 'OK')} 1`, `${method('Say', 'INTERNAL', true)} 1`, `${method('Say', 'NOT_FOUND')} 1`, `${method('Say', 'OK')} 2`].sort(),
    );
    // The client's also carry the server it called, where the client can tell (a Connect client made from a given transport cannot).
    const port = Number(server.address.split(':')[1]);
    const client = (name: string, status: string, error = false) => {
      const where = stack === 'connect' ? '' : `,"server.address":"127.0.0.1","server.port":${port}`;
      return `{${error ? `"error.type":"${status}",` : ''}"rpc.method":"stacks.Echo/${name}","rpc.status_code":"${status}","rpc.system.name":"${system}"${where}}`;
    };
    expect(summary(points, 'rpc.client.call.duration')).toEqual(
      [`${client('Chat', 'OK')} 1`, `${client('Collect', 'OK')} 1`, `${client('Count', 'OK')} 1`, `${client('Say', 'INTERNAL', true)} 1`, `${client('Say', 'NOT_FOUND', true)} 1`, `${client('Say', 'OK')} 2`].sort(),
    );
    for (const point of points) {
      expect(point.unit).toBe('s');
      expect(point.boundaries).toEqual(BUCKETS);
      expect(point.sum).toBeGreaterThan(0);
      expect(point.sum).toBeLessThan(point.count * 5); // seconds, not milliseconds
    }
  });

  it('counts every call with a sampler that keeps no trace', async () => {
    sdk = installSdk([], new AlwaysOffSampler());
    for (let i = 0; i < 5; i++) await driver.say({ text: 'a' });
    await vi.waitFor(async () => expect(summary(await metrics.collect(), 'rpc.server.call.duration')).toHaveLength(1), { timeout: 5000 });
    const points = await metrics.collect();
    expect(sdk.spans()).toEqual([]);
    expect(points.map((p) => `${p.name} ${p.count}`).sort()).toEqual(['rpc.client.call.duration 5', 'rpc.server.call.duration 5']);
  });

  it("records in the span's context, so a trace-based exemplar links the bucket to the trace", async () => {
    sdk = installSdk();
    await driver.say({ text: 'a' });
    await vi.waitFor(() => expect(sdk.spans()).toHaveLength(2));
    expect(metrics.traceIds).toEqual([sdk.spans()[0]!.spanContext().traceId, sdk.spans()[0]!.spanContext().traceId]);
  });
});

describe('HTTP', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      void runtime; // the handler below is what `@traced http.server route=/orders/:id` compiles to
      void Promise.resolve(
        httpRuntime.serve(undefined, req, res, () => res.writeHead(req.url?.includes('broken') ? 503 : 200).end(), undefined, { route: '/orders/:id' }),
      ).catch(() => undefined);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('server and client durations, with the route from route= and never the path', async () => {
    sdk = installSdk();
    await httpRuntime.fetch(fetch, `${base}/orders/17?token=secret`);
    await httpRuntime.fetch(fetch, `${base}/orders/broken`);
    await expect(httpRuntime.fetch(fetch, 'http://127.0.0.1:1/refused')).rejects.toThrow();
    await vi.waitFor(async () => expect(summary(await metrics.collect(), 'http.server.request.duration')).toHaveLength(2));
    const points = await metrics.collect();
    expect(summary(points, 'http.server.request.duration')).toEqual([
      '{"error.type":"503","http.request.method":"GET","http.response.status_code":503,"http.route":"/orders/:id","network.protocol.version":"1.1","url.scheme":"http"} 1',
      '{"http.request.method":"GET","http.response.status_code":200,"http.route":"/orders/:id","network.protocol.version":"1.1","url.scheme":"http"} 1',
    ]);
    const port = Number(new URL(base).port);
    expect(summary(points, 'http.client.request.duration')).toEqual([
      `{"error.type":"503","http.request.method":"GET","http.response.status_code":503,"server.address":"127.0.0.1","server.port":${port}} 1`,
      '{"error.type":"TypeError","http.request.method":"GET","server.address":"127.0.0.1","server.port":1} 1',
      `{"http.request.method":"GET","http.response.status_code":200,"server.address":"127.0.0.1","server.port":${port}} 1`,
    ]);
    expect(JSON.stringify(points)).not.toMatch(/secret|orders\/17/);
  });
});

describe('messaging', () => {
  const attributes = () => ({ 'message.id': 'm-1', 'rabbitmq.destination.routing_key': 'created' });
  const hop = (kind: 'producer' | 'consumer', headers: Record<string, string>) => ({ kind, carrier: () => headers, system: 'rabbitmq', destination: () => 'orders' });

  it('a producer records messaging.client.operation.duration, a consumer messaging.process.duration, with error.type when it throws', async () => {
    sdk = installSdk();
    const headers: Record<string, string> = {};
    runtime.run('publish', () => undefined, attributes, hop('producer', headers));
    await runtime.runAsync('handle', async () => undefined, attributes, hop('consumer', headers));
    expect(() => runtime.run('handle', () => { throw new RangeError('bad order'); }, attributes, hop('consumer', headers))).toThrow(RangeError);
    const points = await metrics.collect();
    const identity = '"messaging.destination.name":"orders:created"';
    expect(summary(points, 'messaging.client.operation.duration')).toEqual([`{${identity},"messaging.operation.name":"publish","messaging.operation.type":"send","messaging.system.name":"rabbitmq"} 1`]);
    expect(summary(points, 'messaging.process.duration')).toEqual([
      `{"error.type":"RangeError",${identity},"messaging.operation.name":"consume","messaging.operation.type":"process","messaging.system.name":"rabbitmq"} 1`,
      `{${identity},"messaging.operation.name":"consume","messaging.operation.type":"process","messaging.system.name":"rabbitmq"} 1`,
    ]);
  });

  it('a plain @traced function records no metric', async () => {
    sdk = installSdk();
    runtime.run('work', () => 1);
    expect(await metrics.collect()).toEqual([]);
  });
});

describe('turned off', () => {
  it('SPANWEAVE_METRICS=false records nothing, the spans stay', () => {
    const script = `
      const api = require('@opentelemetry/api');
      const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
      const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');
      class Reader extends MetricReader { async onShutdown() {} async onForceFlush() {} }
      const reader = new Reader();
      const exporter = new InMemorySpanExporter();
      api.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
      api.metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
      const { run } = require('spanweave/runtime/messaging');
      run('send', () => undefined, undefined, { kind: 'producer', carrier: () => ({}) });
      reader.collect().then(({ resourceMetrics }) => console.log(JSON.stringify([exporter.getFinishedSpans().length, resourceMetrics.scopeMetrics.length])));
    `;
    const run = (env: Record<string, string>) => execFileSync(process.execPath, ['-e', script], { cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8' }).trim();
    expect(run({ SPANWEAVE_METRICS: 'false' })).toBe('[1,0]');
    expect(run({})).toBe('[1,1]');
  });
});
