import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { fixturesDir, freshDir } from './paths.js';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };

export interface ServedPages {
  /** http://127.0.0.1:port, where `/` is index.html and `/rpc.html` the page of Connect-Web calls. */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * fixtures/browser's pages built by Vite with spanweave's plugin, served from 127.0.0.1. `api`
 * answers first the requests it returns true for (the page's same-origin API).
 */
export async function servePages(api: (request: IncomingMessage, response: ServerResponse) => boolean = () => false): Promise<ServedPages> {
  const { build } = await import('vite');
  const outDir = freshDir('browser-pages');
  await build({ root: join(fixturesDir, 'browser'), configFile: join(fixturesDir, 'browser/vite.config.mjs'), build: { outDir, emptyOutDir: true } });
  const server = createServer(async (request, response) => {
    if (api(request, response)) return;
    const path = join(outDir, request.url === '/' ? 'index.html' : request.url!.split('?')[0]!);
    try {
      const body = await readFile(path);
      response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A span the page finished, as fixtures/browser/src/tracing.ts hands it out. */
export interface PageSpan {
  name: string;
  kind: number;
  error: boolean;
  attributes: Record<string, unknown>;
  events: string[];
  trace: string;
  id: string;
  parent?: string;
}

export function pageSpans(page: Page): Promise<PageSpan[]> {
  return page.evaluate(() => (globalThis as unknown as { spans(): PageSpan[] }).spans());
}
