// `npm run bench`: builds what the benchmarks run, runs them one after another, and prints one
// Markdown report (the machine first) for docs/benchmarks.md.
//   --smoke          tiny counts: checks that every benchmark runs, measures nothing
//   --only a,b       some of: calls, grpc, stacks, build, bundle, memory, size, page
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, release, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBuild } from './build.mjs';
import { runBundle } from './bundle.mjs';
import { runCalls } from './calls.mjs';
import { runGrpc } from './grpc.mjs';
import { runMemory } from './memory.mjs';
import { runPageWeight } from './page-weight.mjs';
import { runSize } from './size.mjs';
import { runStacks } from './stacks.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const smoke = process.argv.includes('--smoke');
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex > 0 ? process.argv[onlyIndex + 1].split(',') : undefined;

const BENCHMARKS = {
  calls: ['Per-call overhead of a traced function', () => runCalls({ smoke })],
  grpc: ['gRPC throughput and latency, 127.0.0.1', () => runGrpc({ smoke })],
  stacks: ['Connect and nice-grpc: CPU per RPC beside their own tracing, 127.0.0.1', () => runStacks({ smoke })],
  build: ['Build time', () => runBuild({ smoke })],
  bundle: ['Bundlers and TypeScript 7', () => runBundle({ smoke })],
  memory: ['Memory over 1,000,000 traced calls', () => runMemory({ smoke })],
  size: ['Runtime size', () => runSize()],
  page: ['Page weight in the browser', () => runPageWeight()],
};

const compile = (compiler, project) => execFileSync(process.execPath, [require.resolve(compiler), '-p', join(here, project)], { stdio: 'inherit' });
compile('ts-patch/bin/tspc.js', 'calls');
compile('ts-patch/bin/tspc.js', 'grpc');
compile('typescript/bin/tsc', 'grpc/tsconfig.plain.json');
const compileStacks = (compiler, outDir) => execFileSync(process.execPath, [require.resolve(compiler), '-p', join(here, '../fixtures/stacks'), '--outDir', join(here, '../fixtures/stacks', outDir)], { stdio: 'inherit' });
compileStacks('ts-patch/bin/tspc.js', 'out-bench');
compileStacks('typescript/bin/tsc', 'out-bench-plain');

const versionOf = (name) => JSON.parse(readFileSync(join(here, '../node_modules', name, 'package.json'), 'utf8')).version;
const versions = ['typescript', 'typescript7', 'ts-patch', 'esbuild', 'vite', 'rolldown', '@rspack/core', '@grpc/grpc-js', '@opentelemetry/api', '@opentelemetry/sdk-trace-base', '@opentelemetry/instrumentation-grpc', '@connectrpc/connect', 'nice-grpc', 'nice-grpc-opentelemetry'].map((name) => `${name} ${versionOf(name)}`);
console.log(`# spanweave benchmarks${smoke ? ' (smoke run: the figures mean nothing)' : ''}

${new Date().toISOString().slice(0, 10)}; ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; ${type()} ${release()}; Node ${process.version}; ${versions.join(', ')}.
`);
for (const [key, [title, run]] of Object.entries(BENCHMARKS)) {
  if (only && !only.includes(key)) continue;
  const started = Date.now();
  const { markdown } = await run();
  console.log(`## ${title}\n\n${markdown}\n\n(${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
}
