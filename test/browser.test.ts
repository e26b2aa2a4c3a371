/**
 * In a real browser: Debian's chromium driven by playwright-core, a page built by Vite with
 * spanweave's plugin under the official web SDK (StackContextManager, no zone.js). Skips with a
 * printed reason where no chromium is installed; fails instead under CI=true.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pageSpans, servePages, type ServedPages } from './helpers/browser-pages.js';
import { chromiumAvailable, launchChromium } from './helpers/chromium.js';

const available = chromiumAvailable();
let pages: ServedPages;
let origin: string;
let browser: import('playwright-core').Browser;
const received: string[] = [];

beforeAll(async () => {
  if (!available) return;
  pages = await servePages((request, response) => {
    if (request.url !== '/api/order') return false;
    received.push(String(request.headers.traceparent));
    response.writeHead(201).end();
    return true;
  });
  origin = pages.origin;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await pages?.close();
});

it.skipIf(!available)('two interleaved clicks keep their own traces, each step a child of its click', async () => {
  const page = await browser.newPage();
  await page.goto(origin);
  const results = await page.evaluate(() => (globalThis as unknown as { interleaved(): Promise<string[][]> }).interleaved());
  expect(results).toEqual([['x.1', 'x.30', 'x.1'], ['y.15', 'y.1', 'y.30']]);
  const spans = await pageSpans(page);
  const clicks = spans.filter((span) => span.name === 'checkout.click');
  expect(clicks).toHaveLength(2);
  for (const click of clicks) {
    const steps = spans.filter((span) => span.parent === click.id);
    expect(steps.map((span) => span.name)).toEqual(['step', 'step', 'step']);
    expect(new Set(steps.map((span) => span.trace))).toEqual(new Set([click.trace]));
  }
  expect(clicks[0]!.trace).not.toBe(clicks[1]!.trace);
  await page.close();
}, 60_000);

it.skipIf(!available)('fetch after an await: a CLIENT span under the click, its context sent; a network error is an error span', async () => {
  const page = await browser.newPage();
  await page.goto(origin);
  const result = await page.evaluate(() => (globalThis as unknown as { order(): Promise<unknown[]> }).order());
  // The response, the very TypeError of the failed fetch, and the caller's init untouched.
  expect(result).toEqual([201, 'TypeError', { method: 'POST', headers: { 'x-order': 'one' } }]);
  const spans = await pageSpans(page);
  const click = spans.find((span) => span.name === 'order.click')!;
  const [sent, failed] = spans.filter((span) => span.parent === click.id);
  // The relative URL resolved as fetch resolves it, against the page's address.
  const { port } = new URL(origin);
  expect(sent).toMatchObject({ name: 'POST', kind: 2, error: false, trace: click.trace, attributes: { 'http.response.status_code': 201, 'url.full': `${origin}/api/order`, 'server.address': '127.0.0.1', 'server.port': Number(port) } });
  expect(failed).toMatchObject({ name: 'POST', kind: 2, error: true, trace: click.trace, attributes: { 'error.type': 'TypeError' } });
  expect(received).toEqual([`00-${click.trace}-${sent!.id}-01`]);
  await page.close();
}, 60_000);
