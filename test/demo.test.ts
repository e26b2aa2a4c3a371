import { execFile, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir } from './helpers/paths.js';

/** Removes what changes run to run: trace ids, durations, the bars' positions, column padding. */
function stable(output: string): string {
  return output
    .replace(/trace [0-9a-f]{32} +[\d.]+ m?s/g, 'trace <id>')
    .replace(/ +█[█ ]*[\d.]+ m?s/g, ' <bar>')
    .replace(/ {2,}/g, ' ');
}

it('the demo (npm start) compiles the shop with tspc, runs its five services in their own processes and prints their traces as waterfalls', () => {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('OTEL_')) delete env[key];
  const { stdout, stderr, status } = spawnSync(process.execPath, [join(fixturesDir, 'grpc/start.mjs')], { encoding: 'utf8', env });
  expect(stderr).toBe('');
  expect(status).toBe(0);
  const output = stable(stdout);
  expect(output).toMatch(/^web http:\/\/127\.0\.0\.1:\d+\ngateway 127\.0\.0\.1:\d+\nusers 127\.0\.0\.1:\d+\norders 127\.0\.0\.1:\d+\nworker consumes orders\.placed/m);
  expect(output).toContain(
    [
      'POST /orders {"userId":"ada","items":["book","pen"]} -> 201 {"summary":"Ada Lovelace ordered 2 items (o1:shipped)"}',
      'GET /users?count=3 -> 200 ["User 0","User 1","User 2"]',
      'POST /orders {"userId":"slow","items":["lamp"]} -> 201 {"summary":"Ada Lovelace ordered 1 items (o2:shipped)"}',
      'POST /orders {"userId":"crash","items":["kettle"]} -> 502 {"error":"Unknown error"}',
      '',
      'trace <id> 13 spans',
      'POST /orders web SERVER <bar>',
      '└─ shop.Gateway/PlaceOrder web CLIENT <bar>',
      ' └─ shop.Gateway/PlaceOrder gateway SERVER <bar>',
      ' ├─ shop.Users/GetUser gateway CLIENT <bar>',
      ' │ └─ shop.Users/GetUser users SERVER <bar>',
      ' ├─ shop.Orders/UploadItems gateway CLIENT <bar>',
      ' │ └─ shop.Orders/UploadItems orders SERVER <bar>',
      ' │ └─ send orders.placed orders PRODUCER <bar>',
      ' │ └─ process orders.placed worker CONSUMER <bar>',
      ' │ └─ pack worker INTERNAL <bar>',
      ' ├─ shop.Orders/Track gateway CLIENT <bar>',
      ' │ └─ shop.Orders/Track orders SERVER <bar>',
      ' └─ summarize gateway INTERNAL <bar>',
      '',
      'trace <id> 3 spans',
      'GET /users web SERVER <bar>',
      '└─ shop.Users/ListUsers web CLIENT <bar>',
      ' └─ shop.Users/ListUsers users SERVER <bar>',
      '',
      'trace <id> 13 spans',
    ].join('\n'),
  );
  expect(output).toContain(
    [
      'trace <id> 5 spans 5 with errors',
      'POST /orders web SERVER <bar> ERROR',
      '└─ shop.Gateway/PlaceOrder web CLIENT <bar> ERROR Unknown error',
      ' └─ shop.Gateway/PlaceOrder gateway SERVER <bar> ERROR Unknown error',
      ' └─ shop.Users/GetUser gateway CLIENT <bar> ERROR Unknown error',
      ' └─ shop.Users/GetUser users SERVER <bar> ERROR users database is on fire',
    ].join('\n'),
  );
  // The slow request: its GetUser SERVER span takes the 300 ms the Users service waits.
  const slow = stdout.split('\ntrace ')[3]!;
  expect(Number(/shop\.Users\/GetUser +users +SERVER +█[█ ]*([\d.]+) ms/.exec(slow)?.[1])).toBeGreaterThanOrEqual(300);
  const html = join(fixturesDir, 'grpc/out/trace.html');
  expect(existsSync(html)).toBe(true);
  expect(readFileSync(html, 'utf8')).toContain('process orders.placed');
});

describe('with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  interface OtlpSpan {
    traceId: Uint8Array;
    spanId: Uint8Array;
    parentSpanId?: Uint8Array;
    name: string;
    kind: number;
    status: { code: number; message?: string };
  }
  interface OtlpRequest {
    resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
  }
  // A receiver that decodes OTLP/HTTP with the official protobuf definitions, on 127.0.0.1.
  const { MockOtlpServer } = createRequire(import.meta.url)('@elastic/mockotlpserver') as {
    MockOtlpServer: new (options: object) => { start(): Promise<void>; close(): Promise<void>; httpUrl: URL };
  };
  const received: OtlpRequest[] = [];
  const receiver = new MockOtlpServer({ services: ['http'], httpHostname: '127.0.0.1', httpPort: 0, logLevel: 'warn', onTrace: (request: OtlpRequest) => received.push(request) });
  beforeAll(() => receiver.start());
  afterAll(() => receiver.close());

  it('sends every span of the demo, each service with its own service.name, parents and statuses intact', async () => {
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl.href };
    // The demo as the test above compiled it; run asynchronously: the receiver answers from this process's event loop.
    const { stdout } = await promisify(execFile)(process.execPath, [join(fixturesDir, 'grpc/out/demo.js')], { env, encoding: 'utf8' });
    expect(stdout).toContain('spans sent over OTLP');
    const serviceOf = (r: OtlpRequest['resourceSpans'][number]) => r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
    const resourceSpans = received.flatMap((request) => request.resourceSpans);
    expect(new Set(resourceSpans.map(serviceOf))).toEqual(new Set(['web', 'gateway', 'users', 'orders', 'worker']));
    const spans = resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((span) => ({ ...span, service: serviceOf(r) }))));
    expect(spans).toHaveLength(13 + 3 + 13 + 5);
    const ids = new Set(spans.map((span) => hex(span.spanId)));
    const parentOf = (span: OtlpSpan) => (span.parentSpanId?.length ? hex(span.parentSpanId) : undefined);
    const roots = spans.filter((span) => parentOf(span) === undefined);
    expect(roots.map((span) => `${span.service} ${span.name}`).sort()).toEqual(['web GET /users', 'web POST /orders', 'web POST /orders', 'web POST /orders']);
    for (const span of spans) if (parentOf(span) !== undefined) expect(ids.has(parentOf(span)!), span.name).toBe(true);
    expect(new Set(spans.map((span) => hex(span.traceId))).size).toBe(4);
    const consumer = spans.find((span) => span.name === 'process orders.placed')!;
    expect([consumer.service, consumer.kind]).toEqual(['worker', 5]);
    const errors = spans.filter((span) => span.status.code === 2).map((span) => `${span.service} ${span.name} ${span.kind}`);
    expect(errors.sort()).toEqual(['gateway shop.Gateway/PlaceOrder 2', 'gateway shop.Users/GetUser 3', 'users shop.Users/GetUser 2', 'web POST /orders 2', 'web shop.Gateway/PlaceOrder 3']);
  });
});
