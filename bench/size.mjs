// The size of what a user ships: each runtime entry point bundled by esbuild (minified, ESM,
// @opentelemetry/api, @grpc/grpc-js, nice-grpc and node: modules external, as an application has them),
// then gzipped.
import { buildSync } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { table } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ENTRIES = {
  'spanweave/runtime': 'dist/runtime/esm/index.js',
  'spanweave/runtime/rpc': 'dist/runtime/esm/rpc/index.js',
  'spanweave/runtime/grpc': 'dist/runtime/esm/grpc/index.js',
  'spanweave/runtime/connect': 'dist/runtime/esm/connect/index.js',
  'spanweave/runtime/nice-grpc': 'dist/runtime/esm/nice-grpc/index.js',
  'spanweave/runtime/nestjs': 'dist/runtime/esm/nestjs/index.js',
  'spanweave/runtime/http': 'dist/runtime/esm/http/index.js',
  'spanweave/runtime/messaging': 'dist/runtime/esm/messaging/index.js',
};

export function runSize() {
  const results = {};
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const { outputFiles } = buildSync({
      entryPoints: [join(here, '..', entry)],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'node',
      external: ['@opentelemetry/api', '@grpc/grpc-js', 'nice-grpc', 'node:*'],
      write: false,
    });
    const code = outputFiles[0].contents;
    results[name] = { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
  }
  const kb = (bytes) => (bytes / 1024).toFixed(2);
  return {
    results,
    markdown: table(['entry point (includes what it imports)', 'minified KB', 'min + gzip KB', 'target'], Object.entries(results).map(([name, r]) => [name, kb(r.minified), kb(r.gzipped), name === 'spanweave/runtime' ? '≤ 4 KB' : ''])),
  };
}
