/**
 * A page of one origin calling servers of another, in a real browser (Debian's chromium, driven
 * by playwright-core): fixtures/browser/rpc.html, built by Vite with spanweave's plugin under the
 * official web SDK, and fixtures/stacks/src/cross-origin.ts compiled by tspc (the Echo service on
 * Connect, a node:http API), each traced, under a real SDK in this process. Skips with a printed
 * reason where no chromium is installed; fails instead under CI=true.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { pageSpans, servePages, type PageSpan, type ServedPages } from './helpers/browser-pages.js';
import { chromiumAvailable, launchChromium } from './helpers/chromium.js';
import { compileWithTspc } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';
import { api, installSdk, type TestSdk } from './helpers/sdk.js';

// What fixtures/stacks/src/cross-origin.ts gives, typed here so that this file's type check leaves
// the fixture (Nest's decorators, its own compiler options) to the fixture's tsconfig.
interface CrossOriginServers {
  readonly connect: string;
  readonly api: string;
  readonly strictApi: string;
  readonly preflights: readonly string[];
  close(): Promise<void>;
}

const available = chromiumAvailable();
let pages: ServedPages;
let servers: CrossOriginServers;
let sdk: TestSdk;
let browser: Browser;

beforeAll(async () => {
  if (!available) return;
  // Beside proto/, which the stacks' grpc-js module loads when the Connect module relays to it.
  const build = compileWithTspc(join(fixturesDir, 'stacks'), [], join(fixturesDir, 'stacks/out-browser'));
  expect(build.output).toBe('');
  sdk = installSdk();
  pages = await servePages();
  servers = await build.load<{ startCrossOriginServers(origin: string): Promise<CrossOriginServers> }>('cross-origin').startCrossOriginServers(pages.origin);
  browser = await launchChromium();
}, 120_000);

beforeEach(() => sdk?.reset());

afterAll(async () => {
  await browser?.close();
  await servers?.close();
  await pages?.close();
  sdk?.uninstall();
});

/**
 * The RPC page, with every uncaught error it raises collected; its traced calls carry the trace
 * context to the origins `listed` (by default the Connect server and the API).
 */
async function openPage(listed: readonly string[] = [servers.connect, servers.api]): Promise<{ page: Page; uncaught: string[] }> {
  const page = await browser.newPage();
  const uncaught: string[] = [];
  page.on('pageerror', (error) => uncaught.push(String(error)));
  await page.goto(`${pages.origin}/rpc.html`);
  await listOrigins(page, listed);
  return { page, uncaught };
}

function listOrigins(page: Page, origins: readonly string[]): Promise<void> {
  return page.evaluate((origins) => (globalThis as unknown as { propagateTraceHeaderCorsUrls(urls: string[]): void }).propagateTraceHeaderCorsUrls([...origins]), origins);
}

/** Calls the page's `name(...args)`; a rejection comes back as `{ rejected: its name }`. */
function call(page: Page, name: string, ...args: string[]): Promise<unknown> {
  return page.evaluate(
    ([name, args]) =>
      (globalThis as unknown as Record<string, (...args: string[]) => Promise<unknown>>)[name]!(...args).catch((error: unknown) => ({ rejected: error instanceof Error ? error.name : String(error) })),
    [name, args] as const,
  );
}

const { SpanKind } = api;
const outcome = (attributes: Record<string, unknown>) => attributes['rpc.status_code'] ?? attributes['http.response.status_code'];

/** The page's spans under `parent` (in the order they ended), as `name KIND outcome[ !]`. */
function children(spans: readonly PageSpan[], parent: PageSpan): string[] {
  return spans.filter((span) => span.parent === parent.id && span.trace === parent.trace).map((span) => `${span.name} ${SpanKind[span.kind]} ${outcome(span.attributes)}${span.error ? ' !' : ''}`);
}

/**
 * For each of the page's CLIENT spans, the spans the servers recorded as its children in its
 * trace, as `name KIND outcome`; waits until they are `expected` (a server span ends just after
 * the browser has its answer).
 */
async function expectServerChildren(clients: readonly PageSpan[], expected: string[][]): Promise<void> {
  const serverChildren = () =>
    clients.map((client) =>
      sdk
        .spans()
        .filter((span) => span.parentSpanContext?.spanId === client.id && span.spanContext().traceId === client.trace)
        .map((span) => `${span.name} ${SpanKind[span.kind]} ${outcome(span.attributes)}`),
    );
  await vi.waitFor(() => expect(serverChildren()).toEqual(expected), { timeout: 10_000, interval: 20 });
}

function only(spans: readonly PageSpan[], name: string): PageSpan {
  const found = spans.filter((span) => span.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
}

const ECHOED = ['connect(hi)', ['connect 0', 'connect 1', 'connect 2'], 'NotFound'];
const ECHO_SPANS = ['stacks.Echo/Say CLIENT OK', 'stacks.Echo/Count CLIENT OK', 'stacks.Echo/Say CLIENT NOT_FOUND !'];
// Connect's server span is not an error for NOT_FOUND (the RPC conventions); the client's is.
const ECHO_SERVER_SPANS = [['stacks.Echo/Say SERVER OK'], ['stacks.Echo/Count SERVER OK'], ['stacks.Echo/Say SERVER NOT_FOUND']];

it.skipIf(!available).each([
  ['connect', 'traced at the transport', 'connect-protocol-version,content-type,traceparent'],
  ['grpc-web', 'traced at the client', 'content-type,traceparent,x-grpc-web,x-user-agent'],
])('Connect-Web over %s (%s), to a Connect server of another origin: unary, server streaming and a refused call, each CLIENT span under the click and the parent of its SERVER span', async (protocol, _, preflight) => {
  const { page, uncaught } = await openPage();
  expect(await call(page, 'echo', protocol, servers.connect)).toEqual(ECHOED);
  const spans = await pageSpans(page);
  const click = only(spans, 'echo.click');
  expect(click).toMatchObject({ parent: undefined, error: false });
  expect(children(spans, click)).toEqual(ECHO_SPANS);
  const clients = spans.filter((span) => span.parent === click.id);
  for (const client of clients) expect(client.attributes['rpc.system.name']).toBe('connectrpc');
  // A tag on the transport knows the server; one on createClient is handed a transport that does not tell it.
  const port = Number(new URL(servers.connect).port);
  expect(clients.map((client) => client.attributes['server.port'])).toEqual(protocol === 'connect' ? [port, port, port] : [undefined, undefined, undefined]);
  await expectServerChildren(clients, ECHO_SERVER_SPANS);
  // The browser asked the server of the other origin whether it may send traceparent, and was let.
  expect(servers.preflights).toContain(preflight);
  expect(uncaught).toEqual([]);
  await page.close();
}, 60_000);

it.skipIf(!available)('fetch to a node:http handler of another origin: the handler continues the trace of the CLIENT span under the click', async () => {
  const { page, uncaught } = await openPage();
  expect(await call(page, 'order', servers.api)).toEqual({ order: 'placed' });
  const spans = await pageSpans(page);
  const click = only(spans, 'order.click');
  expect(children(spans, click)).toEqual(['POST CLIENT 201']);
  await expectServerChildren(spans.filter((span) => span.parent === click.id), [['POST SERVER 201']]);
  expect(servers.preflights).toContain('content-type,traceparent');
  expect(uncaught).toEqual([]);
  await page.close();
}, 60_000);

it.skipIf(!available)('malformed answers: each Connect call an error span with the status its caller got, a body that is not JSON an error on the click, never an exception from spanweave; the page keeps working', async () => {
  const { page, uncaught } = await openPage();
  // What Connect-Web tells the page: an HTML page where a Connect message was due, and bytes that are no message.
  expect(await call(page, 'malformed', servers.api)).toEqual(['Unknown', 'InvalidArgument', 'Unknown', 'InvalidArgument', 'InvalidArgument']);
  let spans = await pageSpans(page);
  const malformed = only(spans, 'malformed.click');
  expect(malformed.error).toBe(false); // the page handled every failure
  expect(children(spans, malformed)).toEqual([
    'stacks.Echo/Say CLIENT UNKNOWN !',
    'stacks.Echo/Count CLIENT INVALID_ARGUMENT !',
    'stacks.Echo/Say CLIENT UNKNOWN !',
    'stacks.Echo/Count CLIENT INVALID_ARGUMENT !',
    'stacks.Echo/Count CLIENT INVALID_ARGUMENT !',
  ]);
  // The node:http handler that answered them continued each call's trace.
  await expectServerChildren(spans.filter((span) => span.parent === malformed.id), Array(5).fill(['POST SERVER 200']));

  // The exchange succeeded; reading its body did not: the click that read it rejects, and its span says why.
  expect(await call(page, 'report', servers.api)).toEqual({ rejected: 'SyntaxError' });
  spans = await pageSpans(page);
  const report = only(spans, 'report.click');
  expect(report).toMatchObject({ error: true, events: ['exception'] });
  expect(children(spans, report)).toEqual(['GET CLIENT 200']);

  // The page keeps working: the next click is a trace of its own, as complete as before.
  expect(await call(page, 'echo', 'connect', servers.connect)).toEqual(ECHOED);
  spans = await pageSpans(page);
  const echo = only(spans, 'echo.click');
  expect(echo.parent).toBeUndefined();
  expect([malformed.trace, report.trace]).not.toContain(echo.trace);
  expect(children(spans, echo)).toEqual(ECHO_SPANS);
  await expectServerChildren(spans.filter((span) => span.parent === echo.id), ECHO_SERVER_SPANS);
  expect(uncaught).toEqual([]);
  await page.close();
}, 60_000);

it.skipIf(!available)('another origin the page does not list gets no trace context: the call works as it does untraced, against a server that allows only its own headers', async () => {
  const { page, uncaught } = await openPage([]);
  expect(await call(page, 'order', servers.strictApi)).toEqual({ order: 'placed' });
  const spans = await pageSpans(page);
  const click = only(spans, 'order.click');
  expect(children(spans, click)).toEqual(['POST CLIENT 201']);
  expect(servers.preflights.at(-1)).toBe('content-type');
  // The handler's span starts a trace of its own: nothing reached it from the page.
  await vi.waitFor(() => expect(sdk.spans().map((span) => [span.name, span.parentSpanContext?.spanId])).toEqual([['POST', undefined]]), { timeout: 10_000, interval: 20 });
  expect(sdk.spans()[0]!.spanContext().traceId).not.toBe(click.trace);

  // Listed, the call carries traceparent, which this server does not allow: the browser refuses it.
  // This is the failure an unlisted origin is spared.
  await listOrigins(page, [servers.strictApi]);
  expect(await call(page, 'order', servers.strictApi)).toEqual({ rejected: 'TypeError' });
  expect(servers.preflights.at(-1)).toBe('content-type,traceparent');
  expect(uncaught).toEqual([]);
  await page.close();
}, 60_000);
