// `npm run trace-library`: compiles a real library, zod 3 (the copy of its source and its own
// vitest suite that the zod package ships in src/v3), twice: with plain tsc, and with tspc and
// spanweave's `traceAll` over all of it (every named function traced, the tests' too). Runs the
// suite on both builds, the traced one with an SDK recording, and compares: every test that passes
// untraced must pass traced, and spans must have been made. Prints a Markdown summary for
// docs/reliability.md; exits non-zero on any difference.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const work = join(root, '.tmp/trace-library');
const zod = dirname(require.resolve('zod/package.json'));
const version = JSON.parse(readFileSync(join(zod, 'package.json'), 'utf8')).version;

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
cpSync(join(zod, 'src/v3'), join(work, 'src'), { recursive: true });
const compilerOptions = {
  target: 'ES2022',
  module: 'ESNext',
  moduleResolution: 'Bundler',
  strict: true,
  skipLibCheck: true,
  rootDir: 'src',
  types: ['node'],
  typeRoots: [join(root, 'node_modules/@types')],
  paths: { 'zod/v3': ['./src/index.ts'] }, // the tests import the package by name
};
const project = (outDir, plugins) => JSON.stringify({ compilerOptions: { ...compilerOptions, outDir, plugins }, include: ['src'], exclude: ['src/benchmarks'] }, null, 2);
writeFileSync(join(work, 'tsconfig.plain.json'), project('out-plain', []));
writeFileSync(join(work, 'tsconfig.json'), project('out-traced', [{ transform: 'spanweave/transformer', traceAll: ['src'] }]));
writeFileSync(
  join(work, 'setup.mjs'),
  `// A real SDK for the traced run, registered once per worker (files share workers: isolate is off);
// each test file adds the spans recorded since the previous file's report.
import { appendFileSync } from 'node:fs';
import { afterAll } from 'vitest';
import { context, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

if (process.env.SPANS_FILE) {
  const count = (globalThis.spanweaveSpanCount ??= register());
  afterAll(() => {
    appendFileSync(process.env.SPANS_FILE, count.ended - count.reported + '\\n');
    count.reported = count.ended;
  });
}

function register() {
  const count = { ended: 0, reported: 0 };
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const counting = { onStart() {}, onEnd() { count.ended++; }, forceFlush: async () => {}, shutdown: async () => {} };
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [counting] }));
  return count;
}
`,
);
writeFileSync(
  join(work, 'vitest.config.mjs'),
  `import { defineConfig } from 'vitest/config';
const build = process.env.BUILD;
export default defineConfig({
  resolve: { alias: { 'zod/v3': new URL('./' + build + '/index.js', import.meta.url).pathname } },
  // Test files share a worker's module registry (10× faster; zod's suite passes the same either way).
  test: { include: [build + '/tests/**/*.test.js'], setupFiles: ['./setup.mjs'], isolate: false },
});
`,
);

const compile = (compiler, config) => execFileSync(process.execPath, [require.resolve(compiler), '-p', join(work, config)], { stdio: 'inherit' });
compile('typescript/bin/tsc', 'tsconfig.plain.json');
compile('ts-patch/bin/tspc.js', 'tsconfig.json');
const tracedFunctions = (readFileSync(join(work, 'out-traced/types.js'), 'utf8').match(/spanweave_1\.run/g) ?? []).length;

/** Runs zod's suite on a build; each test's name and state. */
function suite(build, env = {}) {
  const report = join(work, `${build}.json`);
  const run = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=json', `--outputFile=${report}`], { cwd: work, env: { ...process.env, BUILD: build, ...env }, encoding: 'utf8' });
  const results = JSON.parse(readFileSync(report, 'utf8'));
  const tests = new Map(results.testResults.flatMap((file) => file.assertionResults.map((test) => [`${file.name.split(`/${build}/`)[1]} > ${test.fullName}`, test.status])));
  return { tests, passed: results.numPassedTests, failed: results.numFailedTests, exit: run.status };
}

const spansFile = join(work, 'spans.txt');
const plain = suite('out-plain');
const traced = suite('out-traced', { SPANS_FILE: spansFile });
const spans = readFileSync(spansFile, 'utf8').trim().split('\n').reduce((sum, line) => sum + Number(line), 0);

const broken = [...plain.tests].filter(([name, state]) => state === 'passed' && traced.tests.get(name) !== 'passed');

console.log(`## A real library traced: zod ${version} (src/v3), its own test suite

${new Date().toISOString().slice(0, 10)}; Node ${process.version}.

- traced: every named function of zod's source and tests (${tracedFunctions} in types.js alone), compiled with tspc + \`traceAll\`.
- untraced build (plain tsc): ${plain.passed} tests passed, ${plain.failed} failed.
- traced build, SDK recording: ${traced.passed} passed, ${traced.failed} failed; ${spans.toLocaleString('en')} spans.
- passing untraced, not traced: ${broken.length === 0 ? 'none' : broken.map(([name]) => `\`${name}\``).join(', ')}.`);
process.exitCode = broken.length === 0 && spans > 0 ? 0 : 1;
