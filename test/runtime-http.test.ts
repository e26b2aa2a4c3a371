/**
 * spanweave/runtime/http on its own, as compiled handlers and clients call it, against real
 * node:http servers on 127.0.0.1: the ends of an exchange that the hops fixture does not reach.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as HttpRuntime from '../runtime/http/index.js';
import { api, installSdk, type TestSdk } from './helpers/sdk.js';

const runtime = createRequire(import.meta.url)('spanweave/runtime/http') as typeof HttpRuntime;
const { SpanKind, SpanStatusCode } = api;

let sdk: TestSdk;
let server: http.Server | undefined;
beforeEach(() => {
  sdk = installSdk();
});
afterEach(async () => {
  sdk.uninstall();
  server?.closeAllConnections();
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
});

/** A server whose handler is traced as `@traced http.server` compiles it. */
async function serveWith(handler: (req: http.IncomingMessage, res: http.ServerResponse) => unknown): Promise<string> {
  server = http.createServer((req, res) => {
    try {
      void Promise.resolve(runtime.serve(undefined, req, res, () => handler(req, res))).catch(() => undefined);
    } catch {
      res.writeHead(500).end(); // what a framework does with a throwing handler
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function serverSpan() {
  await vi.waitFor(() => expect(sdk.spans().filter((s) => s.kind === SpanKind.SERVER)).toHaveLength(1), { timeout: 5000, interval: 5 });
  return sdk.spans().find((s) => s.kind === SpanKind.SERVER)!;
}

describe('server', () => {
  it.each([
    ['throws', () => { throw new TypeError('no such order'); }],
    ['rejects', async () => { throw new TypeError('no such order'); }],
  ])('a fetch-style handler that %s: its span ends, an error with the exception', async (_, body) => {
    try {
      await runtime.serve(undefined, new Request('http://127.0.0.1/orders/1'), undefined, body);
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
    }
    const span = await serverSpan();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no such order' });
    expect(span.attributes['error.type']).toBe('TypeError');
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
  });

  it.each([
    [200, SpanStatusCode.UNSET],
    [404, SpanStatusCode.UNSET],
    [503, SpanStatusCode.ERROR],
  ])('a %i response: its status code, an error only for 5xx', async (status, spanStatus) => {
    const base = await serveWith((_, res) => res.writeHead(status).end());
    expect((await fetch(`${base}/x?secret=1`)).status).toBe(status);
    const span = await serverSpan();
    expect(span.name).toBe('GET');
    expect(span.attributes).toMatchObject({ 'http.request.method': 'GET', 'url.path': '/x', 'url.scheme': 'http', 'http.response.status_code': status, 'server.address': '127.0.0.1', 'network.peer.address': '127.0.0.1' });
    expect(JSON.stringify(span.attributes)).not.toContain('secret');
    expect(span.status.code).toBe(spanStatus);
  });

  it('a handler that throws: the exception recorded, the span ends with the response', async () => {
    const base = await serveWith(() => {
      throw new RangeError('bad range');
    });
    expect((await fetch(base)).status).toBe(500);
    const span = await serverSpan();
    expect(span.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'bad range' });
    expect(span.attributes['error.type']).toBe('RangeError');
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('a client that goes away mid-response: the span ends as an error when the connection closes', async () => {
    let responding!: () => void;
    const started = new Promise<void>((resolve) => (responding = resolve));
    const base = await serveWith((_, res) => {
      res.writeHead(200);
      res.write('part');
      responding();
    });
    const request = http.get(base);
    request.on('error', () => undefined);
    await started;
    request.destroy();
    const span = await serverSpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('connection_closed');
  });

  it('an unknown method: _OTHER, the span named HTTP', async () => {
    const base = await serveWith((_, res) => res.end());
    await new Promise<void>((resolve) => http.request(base, { method: 'PURGE' }, (res) => res.resume().on('end', resolve)).end());
    const span = await serverSpan();
    expect(span.name).toBe('HTTP');
    expect(span.attributes).toMatchObject({ 'http.request.method': '_OTHER', 'http.request.method_original': 'PURGE' });
  });

  it('with no SDK: the body runs as it is', () => {
    sdk.uninstall();
    const value = {};
    expect(runtime.serve(undefined, { headers: {} }, { once() {} }, () => value)).toBe(value);
    expect(sdk.spans()).toEqual([]);
  });
});

describe('client', () => {
  it('http.get: a CLIENT span, the parent of the SERVER span, ended when the response ends; no credentials or query values recorded', async () => {
    const base = await serveWith((req, res) => res.end(String(req.headers.traceparent)));
    const body = await new Promise<string>((resolve) => {
      runtime.request(http.get, `http://user:pw@${base.slice(7)}/a?k=v`, (res: http.IncomingMessage) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve(text));
      });
    });
    await vi.waitFor(() => expect(sdk.spans()).toHaveLength(2));
    const client = sdk.spans().find((s) => s.kind === SpanKind.CLIENT)!;
    const serverSide = sdk.spans().find((s) => s.kind === SpanKind.SERVER)!;
    expect(body).toBe(`00-${client.spanContext().traceId}-${client.spanContext().spanId}-01`);
    expect(serverSide.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
    expect(client.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'url.full': `${base}/a?k=REDACTED` });
  });

  it('fetch: the caller\'s headers kept and its objects untouched; 4xx is an error; query values redacted', async () => {
    const base = await serveWith((req, res) => res.writeHead(req.headers['x-id'] === '7' && req.headers.traceparent ? 404 : 400).end());
    const init = { headers: { 'x-id': '7' } };
    const response = (await runtime.fetch(fetch, `${base}/b?token=abc&q=1`, init)) as Response;
    expect(response.status).toBe(404);
    expect(init).toEqual({ headers: { 'x-id': '7' } });
    const client = sdk.spans().find((s) => s.kind === SpanKind.CLIENT)!;
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    expect(client.attributes['url.full']).toBe(`${base}/b?token=REDACTED&q=REDACTED`);
  });

  it('a refused connection: the same error to the caller, recorded on the span', async () => {
    const refused = 'http://127.0.0.1:1/';
    const error = await (runtime.fetch(fetch, refused) as Promise<unknown>).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    const requestError = await new Promise((resolve) => (runtime.request(http.request, refused) as http.ClientRequest).on('error', resolve).end());
    expect((requestError as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(sdk.spans().map((s) => [SpanKind[s.kind], s.status.code, s.events[0]?.name])).toEqual([
      ['CLIENT', SpanStatusCode.ERROR, 'exception'],
      ['CLIENT', SpanStatusCode.ERROR, 'exception'],
    ]);
  });

  it('an error no one handles stays unhandled, as without tracing', async () => {
    const child = await import('node:child_process');
    const script = `
      const http = require('node:http');
      const rt = require('spanweave/runtime/http');
      process.on('uncaughtException', (e) => { console.log('uncaught', e.code); process.exit(0); });
      rt.request(http.request, 'http://127.0.0.1:1/').end();`;
    const output = child.execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: process.cwd() });
    expect(output.trim()).toBe('uncaught ECONNREFUSED');
  });
});
