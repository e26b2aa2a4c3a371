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

it('the demo (npm start) compiles the gRPC app with tspc, prints each trace as a waterfall and writes the HTML view', () => {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('OTEL_')) delete env[key];
  const { stdout, stderr, status } = spawnSync(process.execPath, [join(fixturesDir, 'grpc/start.mjs')], { encoding: 'utf8', env });
  expect(stderr).toBe('');
  expect(status).toBe(0);
  expect(stable(stdout)).toContain(
    [
      'order of ada -> ok: Ada Lovelace ordered 2 items (o1:shipped)',
      'order of nobody -> failed: NOT_FOUND no user nobody',
      '',
      'trace <id> 9 spans',
      'shop.Gateway/PlaceOrder shop CLIENT <bar>',
      '└─ shop.Gateway/PlaceOrder shop SERVER <bar>',
      ' ├─ shop.Users/GetUser shop CLIENT <bar>',
      ' │ └─ shop.Users/GetUser shop SERVER <bar>',
      ' ├─ shop.Orders/UploadItems shop CLIENT <bar>',
      ' │ └─ shop.Orders/UploadItems shop SERVER <bar>',
      ' ├─ shop.Orders/Track shop CLIENT <bar>',
      ' │ └─ shop.Orders/Track shop SERVER <bar>',
      ' └─ summarize shop INTERNAL <bar>',
      '',
      'trace <id> 4 spans 2 with errors',
      'shop.Gateway/PlaceOrder shop CLIENT <bar> ERROR no user nobody',
      '└─ shop.Gateway/PlaceOrder shop SERVER <bar>',
      ' └─ shop.Users/GetUser shop CLIENT <bar> ERROR no user nobody',
      ' └─ shop.Users/GetUser shop SERVER <bar>',
    ].join('\n'),
  );
  const html = join(fixturesDir, 'grpc/out/trace.html');
  expect(existsSync(html)).toBe(true);
  expect(readFileSync(html, 'utf8')).toContain('shop.Orders/UploadItems');
});

describe('with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  interface OtlpSpan {
    traceId: Uint8Array;
    spanId: Uint8Array;
    parentSpanId: Uint8Array;
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

  it('sends every span of the demo with its service, parents and statuses', async () => {
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl.href, OTEL_SERVICE_NAME: 'shop-demo' };
    // The demo as the test above compiled it; run asynchronously: the receiver answers from this process's event loop.
    const { stdout } = await promisify(execFile)(process.execPath, [join(fixturesDir, 'grpc/out/demo.js')], { env, encoding: 'utf8' });
    expect(stdout).toContain('spans sent over OTLP');
    const resourceSpans = received.flatMap((request) => request.resourceSpans);
    const services = new Set(resourceSpans.map((r) => r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue));
    expect([...services]).toEqual(['shop-demo']);
    const spans = resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    expect(spans).toHaveLength(13);
    const ids = new Set(spans.map((span) => hex(span.spanId)));
    const roots = spans.filter((span) => span.parentSpanId.length === 0);
    expect(roots.map((span) => span.name)).toEqual(['shop.Gateway/PlaceOrder', 'shop.Gateway/PlaceOrder']);
    for (const span of spans) if (span.parentSpanId.length > 0) expect(ids.has(hex(span.parentSpanId)), span.name).toBe(true);
    expect(new Set(spans.map((span) => hex(span.traceId))).size).toBe(2);
    const errors = spans.filter((span) => span.status.code === 2).map((span) => [span.name, span.kind, span.status.message]);
    expect(errors).toEqual([
      ['shop.Users/GetUser', 3, 'no user nobody'],
      ['shop.Gateway/PlaceOrder', 3, 'no user nobody'],
    ]);
  });
});
