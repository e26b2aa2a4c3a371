/**
 * The runtime a page imports: resolved through the package's `browser` export condition, nothing
 * from `node:` (or any Node built-in) on that path, and within its size budget, measured as the
 * page ships it: bundled by esbuild for the browser, minified, gzipped (@opentelemetry/api is the
 * page's own, with its SDK). The entry imports what compiled page code calls.
 */
import { buildSync, type Metafile } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { builtinModules } from 'node:module';
import { expect, it } from 'vitest';
import { repoRoot } from './helpers/paths.js';

const TAGS_AND_FETCH = `
import * as spanweave from 'spanweave/runtime';
import * as spanweave_http from 'spanweave/runtime/http';
globalThis.used = [spanweave.run, spanweave.runAsync, spanweave.resuming, spanweave.iterate, spanweave_http.fetch];`;
const WITH_CONNECT = `${TAGS_AND_FETCH}
import * as spanweave_connect from 'spanweave/runtime/connect';
globalThis.connect = spanweave_connect.create;`;

function bundle(source: string, platform: 'browser' | 'node'): { gzipped: number; metafile: Metafile; errors: string[] } {
  try {
    const result = buildSync({
      stdin: { contents: source, resolveDir: repoRoot, loader: 'js' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform,
      external: ['@opentelemetry/api'],
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    return { gzipped: gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length, metafile: result.metafile, errors: [] };
  } catch (error) {
    return { gzipped: NaN, metafile: { inputs: {}, outputs: {} }, errors: (error as { errors?: { text: string }[] }).errors?.map((e) => e.text) ?? [String(error)] };
  }
}

/** Every import of a Node built-in in the bundle's inputs. */
function nodeImports(metafile: Metafile): string[] {
  const builtins = new Set(builtinModules);
  return Object.values(metafile.inputs).flatMap((input) => input.imports.map((i) => i.path).filter((path) => path.startsWith('node:') || builtins.has(path)));
}

it('a page resolves the browser entries, which import nothing from node:', () => {
  const page = bundle(WITH_CONNECT, 'browser');
  expect(page.errors).toEqual([]);
  const inputs = Object.keys(page.metafile.inputs);
  expect(inputs).toContain('dist/runtime/esm/browser.js');
  expect(inputs).toContain('dist/runtime/esm/http/browser.js');
  expect(inputs.filter((input) => /http\/(request|server)\.js$|hop\.js$/.test(input))).toEqual([]);
  expect(nodeImports(page.metafile)).toEqual([]);
});

it('the Node entries keep the node:http adapters (the condition is what tells them apart)', () => {
  const server = bundle(TAGS_AND_FETCH, 'node');
  expect(server.errors).toEqual([]);
  expect(Object.keys(server.metafile.inputs)).toContain('dist/runtime/esm/http/request.js');
  expect(nodeImports(server.metafile)).toContain('node:events');
});

it('the runtime of a page with tags and fetch is within 4 KB min+gzip', () => {
  const { gzipped, errors } = bundle(TAGS_AND_FETCH, 'browser');
  expect(errors).toEqual([]);
  expect(gzipped).toBeLessThanOrEqual(4096);
});

it('with Connect-Web clients too, within 6 KB min+gzip', () => {
  const { gzipped, errors } = bundle(WITH_CONNECT, 'browser');
  expect(errors).toEqual([]);
  expect(gzipped).toBeLessThanOrEqual(6144);
});
