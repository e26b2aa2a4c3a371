// What tracing adds to a page: the same small application (bench/page/app.ts) built by Vite for
// production (minified), alone; with spanweave (its plugin and runtime, the web SDK, the OTLP/HTTP
// exporter); with the official setup (instrumentation-fetch, context-zone and zone.js, the same SDK
// and exporter); and with the SDK and exporter only (spanweave's page without its plugin: the tags
// stay comments). Each page's JavaScript, minified and gzipped; tracing = page − the application alone.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { spanweave } from '../dist/transformer/adapters/vite.js';
import { table } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, 'page');
// One copy of each OpenTelemetry package in every page, as a lockfile whose versions agree gives
// it: here the web SDK (2.12.0) and the exporter (0.223.1) pin different patch releases of core.
const OTEL_PACKAGES = ['@opentelemetry/api', '@opentelemetry/core', '@opentelemetry/resources', '@opentelemetry/sdk-trace', '@opentelemetry/sdk-trace-base', '@opentelemetry/semantic-conventions'];

const PAGES = {
  app: { html: 'app.html', plugin: false, label: 'the application alone' },
  sdk: { html: 'spanweave.html', plugin: false, label: 'SDK + exporter, no instrumentation' },
  spanweave: { html: 'spanweave.html', plugin: true, label: '**spanweave**: its runtime + SDK + exporter' },
  official: { html: 'official.html', plugin: false, label: '**official**: instrumentation-fetch + context-zone + zone.js + SDK + exporter' },
};

/** The page's JavaScript (every chunk Vite emits for it), minified bytes and gzipped bytes. */
async function weigh({ html, plugin }) {
  const output = await build({
    root,
    configFile: false,
    logLevel: 'silent',
    mode: 'production',
    plugins: plugin ? [spanweave({ tsconfig: false })] : [],
    resolve: { dedupe: OTEL_PACKAGES },
    build: { write: false, rolldownOptions: { input: join(root, html) } },
  });
  const chunks = (Array.isArray(output) ? output : [output]).flatMap((result) => result.output).filter((file) => file.type === 'chunk');
  // The click's span name is in the code only where the plugin wove the tags (minifying drops comments).
  if (chunks.some((chunk) => chunk.code.includes('order.click')) !== plugin) throw new Error(`${html}: the tags were ${plugin ? 'not ' : ''}woven`);
  return chunks.reduce((total, chunk) => ({ minified: total.minified + Buffer.byteLength(chunk.code), gzipped: total.gzipped + gzipSync(chunk.code, { level: 9 }).length }), { minified: 0, gzipped: 0 });
}

export async function runPageWeight() {
  const results = {};
  for (const [name, page] of Object.entries(PAGES)) results[name] = await weigh(page);
  const tracing = (name) => ({ minified: results[name].minified - results.app.minified, gzipped: results[name].gzipped - results.app.gzipped });
  const own = (name) => results[name].gzipped - results.sdk.gzipped;
  const kb = (bytes) => (bytes / 1024).toFixed(2);
  const rows = Object.entries(PAGES).map(([name, { label }]) => {
    const added = name === 'app' ? undefined : tracing(name);
    return [label, results[name].minified, results[name].gzipped, added ? `${added.gzipped} (${kb(added.gzipped)} KB)` : '', name === 'spanweave' || name === 'official' ? `${own(name)} (${kb(own(name))} KB)` : ''];
  });
  const ratio = (value, base) => `${(value / base).toFixed(2)}×`;
  rows.push(['spanweave / official', ratio(results.spanweave.minified, results.official.minified), ratio(results.spanweave.gzipped, results.official.gzipped), ratio(tracing('spanweave').gzipped, tracing('official').gzipped), ratio(own('spanweave'), own('official'))]);
  const versionOf = (name) => JSON.parse(readFileSync(join(here, '../node_modules', name, 'package.json'), 'utf8')).version;
  const versions = ['vite', '@opentelemetry/sdk-trace-web', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/instrumentation-fetch', '@opentelemetry/context-zone', 'zone.js'].map((name) => `${name} ${versionOf(name)}`);
  return {
    results,
    markdown: `${versions.join(', ')}.\n\n` + table(['page (Vite production build)', 'JS min bytes', 'JS min+gzip bytes', 'tracing: page − application, min+gzip bytes', 'beyond SDK + exporter, min+gzip bytes'], rows),
  };
}
