// The TypeScript version matrix (npm run matrix [-- --only ts6.0 --fresh]): the packed package, installed
// in a fresh project per TypeScript version under .tmp/matrix/<leg>/, compiles fixtures/toolchains with tspc
// and with program.emit, and the output must produce the expected spans under a real SDK; plain tsc must
// leave it untraced with the same .d.ts. TypeScript 7 (native, no transformer API) must be refused clearly,
// while `spanweave build` and the esbuild adapter trace with TypeScript 7 alone.
// The first-install legs do what the README's "Using it" tells a new user, in a new folder: npm init -y,
// npm install spanweave @opentelemetry/api (the packed tarball standing for spanweave), npm install -D
// typescript (whatever `latest` is), "build": "spanweave build", npm run build, on Node 20 and on Node 22.
// Installs are reused while a leg's package.json is unchanged (first-install legs always start over);
// --fresh reinstalls.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(repo, '.tmp/matrix');
const fixture = join(repo, 'fixtures/toolchains');

// The SDK that collect.cjs runs the fixture under, and esbuild for the adapter check.
const COMMON = { '@opentelemetry/api': '~1.9.1', '@opentelemetry/sdk-trace-base': '^2.12.1', '@opentelemetry/context-async-hooks': '^2.12.0', esbuild: '^0.28.0' };
const LEGS = {
  'ts5.0': { typescript: '~5.0.0', tsPatch: '^3.3.0' },
  'ts5.9': { typescript: '~5.9.0', tsPatch: '^3.3.0' },
  'ts6.0': { typescript: '~6.0.0', tsPatch: '^4.0.1', node22: true }, // ts-patch 4 requires Node >=22.15
  // TypeScript 7 alone: spanweave build (tsc 7, then the weave) and the esbuild adapter.
  ts7: { typescript: '^7.0.0', native: true },
  // The README's install, as a new user types it; the SDK is added after the build, to run it.
  'first-install-node20': { firstInstall: true },
  'first-install-node22': { firstInstall: true, node22: true },
};
const SDK = ['@opentelemetry/sdk-trace-base@^2.12.1', '@opentelemetry/context-async-hooks@^2.12.0'];

const EXPECTED = {
  result: 'paid 7',
  spans: [
    { name: 'cart.total', parent: 'checkout', status: 0, attributes: {} },
    { name: 'checkout', parent: null, status: 0, attributes: { 'cart.size': 2 } },
    { name: 'fail', parent: null, status: 2, attributes: {} }, // 2 = SpanStatusCode.ERROR
    { name: 'price', parent: 'cart.total', status: 0, attributes: {} },
    { name: 'price', parent: 'cart.total', status: 0, attributes: {} },
  ],
  traces: 2,
  error: 'Error: out of stock',
};
const throwLine = readFileSync(join(fixture, 'src/shop.ts'), 'utf8').split('\n').findIndex((line) => line.trim() === 'throw new Error(reason);') + 1;

const { values: flags } = parseArgs({ options: { only: { type: 'string' }, fresh: { type: 'boolean', default: false } } });
if (flags.only !== undefined && !(flags.only in LEGS)) throw new Error(`--only: unknown leg ${flags.only}; legs: ${Object.keys(LEGS).join(', ')}`);
const legs = Object.keys(LEGS).filter((leg) => flags.only === undefined || leg === flags.only);

mkdirSync(work, { recursive: true });
const tarball = pack();
let node22;
let failed = 0;
for (const leg of legs) {
  const started = performance.now();
  const report = { label: leg, summary: '', problems: [] };
  try {
    runLeg(leg, report);
  } catch (error) {
    report.problems.push(error.message);
  }
  const seconds = `${((performance.now() - started) / 1000).toFixed(1)} s`;
  if (report.problems.length === 0) {
    console.log(`${report.label}: ok — ${report.summary} (${seconds})`);
  } else {
    failed++;
    console.log(`${report.label}: FAILED (${seconds})`);
    for (const problem of report.problems) console.log(`  - ${problem.trim().replaceAll('\n', '\n    ')}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;

function runLeg(leg, report) {
  const spec = LEGS[leg];
  const dir = join(work, leg);
  if (spec.firstInstall) return runFirstInstall(dir, spec.node22 ? (node22 ??= installNode22()) : process.execPath, report);
  install(dir, { spanweave: `file:../${tarball}`, typescript: spec.typescript, ...(spec.tsPatch && { 'ts-patch': spec.tsPatch }), ...COMMON, ...spec.extra });
  const node = spec.node22 ? (node22 ??= installNode22()) : process.execPath;
  const versions = [`typescript ${version(dir, 'typescript')}`, spec.tsPatch && `ts-patch ${version(dir, 'ts-patch')}`, `node ${run(node, ['--version'], dir).trim()}`];
  report.label = `${leg} (${versions.filter(Boolean).join(', ')})`;
  const wanted = leg.slice('ts'.length);
  check(report, version(dir, 'typescript').startsWith(`${wanted}.`), `installed typescript ${version(dir, 'typescript')} is not TypeScript ${wanted}`);

  for (const entry of readdirSync(dir)) if (entry.startsWith('out') || entry === 'src') rmSync(join(dir, entry), { recursive: true });
  for (const entry of ['src', 'collect.cjs', 'tsconfig.json']) cpSync(join(fixture, entry), join(dir, entry), { recursive: true });
  if (spec.native) checkNative(dir, node, report);
  else checkTransformed(dir, node, report);
}

/** TypeScript 5 and 6: tspc and program.emit trace the fixture; plain tsc leaves it as it was. */
function checkTransformed(dir, node, report) {
  const tspc = compile(node, dir, ['ts-patch', 'tspc'], 'out-tspc', report);
  const tsc = compile(node, dir, ['typescript', 'tsc'], 'out-tsc', report);
  cpSync(join(repo, 'test/matrix-emit.cjs'), join(dir, 'emit.cjs'));
  const emit = exec(node, ['emit.cjs', 'out-emit'], dir);
  check(report, emit.status === 0 && emit.output === '', `program.emit exited ${emit.status}:\n${emit.output}`);
  const emitted = { js: read(dir, 'out-emit/shop.js'), dts: read(dir, 'out-emit/shop.d.ts') };

  check(report, tspc.js.includes('spanweave/runtime'), 'tspc: out-tspc/shop.js does not import spanweave/runtime');
  check(report, !tsc.js.includes('spanweave/runtime'), 'tsc: out-tsc/shop.js imports spanweave/runtime (plain tsc must ignore plugins)');
  check(report, emitted.js === tspc.js, 'program.emit: shop.js differs from tspc\'s');
  check(report, tspc.dts === tsc.dts && emitted.dts === tsc.dts, 'shop.d.ts: tspc\'s or program.emit\'s differs from tsc\'s');

  const untraced = collect(node, dir, 'out-tsc');
  check(report, untraced.spans.length === 0 && untraced.result === EXPECTED.result, `tsc build: expected no spans and "${EXPECTED.result}", got ${JSON.stringify(untraced)}`);
  const where = location(untraced.thrownAt);
  check(report, where.file.endsWith('/src/shop.ts') && where.line === throwLine, `tsc build: thrownAt ${untraced.thrownAt}, expected src/shop.ts:${throwLine}`);
  for (const outDir of ['out-tspc', 'out-emit']) {
    const { thrownAt: stackLine, ...traced } = collect(node, dir, outDir);
    check(report, isDeepStrictEqual(traced, EXPECTED), `${outDir}: expected ${JSON.stringify(EXPECTED)}\n got ${JSON.stringify(traced)}`);
    // The traced throw must point where the untraced one does: the source map of the rewritten code holds.
    check(report, isDeepStrictEqual(location(stackLine), where), `${outDir}: thrownAt ${stackLine}, expected ${where.file}:${where.line}:${where.column}`);
  }
  checkEsbuildAdapter(dir, node, report);
  checkStaleBuild(dir, node, report);
  report.summary = `tspc, program.emit and spanweave/esbuild: ${EXPECTED.spans.length} spans, ${EXPECTED.traces} traces, thrownAt shop.ts:${throwLine}; tsc: untraced, same .d.ts; stale incremental build: TS95006, then --build --force traces`;
}

/** The stale-build check (transformer/build-stamp.ts) runs on compiler APIs each version must have. Edits the copy of src/shop.ts: run last. */
function checkStaleBuild(dir, node, report) {
  const config = { extends: './tsconfig.json', compilerOptions: { incremental: true, outDir: 'out-incremental', tsBuildInfoFile: 'out-incremental/build.tsbuildinfo' } };
  writeFileSync(join(dir, 'tsconfig.incremental.json'), JSON.stringify(config));
  const plain = exec(node, [bin(dir, 'typescript', 'tsc'), '-p', 'tsconfig.incremental.json'], dir);
  check(report, plain.status === 0, `incremental tsc exited ${plain.status}:\n${plain.output}`);
  writeFileSync(join(dir, 'src/shop.ts'), `${read(dir, 'src/shop.ts')}// edited\n`);
  const tspc = bin(dir, 'ts-patch', 'tspc');
  const stale = exec(node, [tspc, '-p', 'tsconfig.incremental.json', '--pretty', 'false'], dir);
  check(report, stale.status !== 0 && stale.output.includes('error TS95006'), `tspc over tsc's incremental build: expected error TS95006, got ${stale.status}:\n${stale.output}`);
  const forced = exec(node, [tspc, '--build', 'tsconfig.incremental.json', '--force'], dir);
  check(report, forced.status === 0 && read(dir, 'out-incremental/shop.js').includes('spanweave/runtime'), `tspc --build --force exited ${forced.status}:\n${forced.output}`);
}

/** The adapters' shared path (transpileModule with the leg's TypeScript), through the esbuild plugin. */
function checkEsbuildAdapter(dir, node, report) {
  const bundle = "require('esbuild').build({ entryPoints: ['src/shop.ts'], outfile: 'out-esbuild/shop.js', bundle: true, platform: 'node', packages: 'external', sourcemap: true, plugins: [require('spanweave/esbuild').spanweave()] })";
  const bundled = exec(node, ['-e', bundle], dir);
  check(report, bundled.status === 0, `esbuild with spanweave/esbuild exited ${bundled.status}:\n${bundled.output}`);
  const { thrownAt, ...traced } = collect(node, dir, 'out-esbuild');
  check(report, isDeepStrictEqual(traced, EXPECTED), `out-esbuild: expected ${JSON.stringify(EXPECTED)}\n got ${JSON.stringify(traced)}`);
  check(report, location(thrownAt).line === throwLine, `out-esbuild: thrownAt ${thrownAt}, expected src/shop.ts:${throwLine}`);
}

/**
 * A new user's first project, in a new folder: the README's two installs (the tarball standing for
 * `spanweave`, everything else from the registry as served today), its tsconfig entry and its
 * "build": "spanweave build"; npm and the bin's `#!/usr/bin/env node` run on the leg's Node.
 */
function runFirstInstall(dir, node, report) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, PATH: `${dirname(node)}${process.platform === 'win32' ? ';' : ':'}${process.env.PATH}` };
  const npm = (...args) => run('npm', [...args, '--no-audit', '--no-fund'], dir, env);
  npm('init', '-y');
  npm('install', `../${tarball}`, '@opentelemetry/api');
  npm('install', '-D', 'typescript');
  npm('pkg', 'set', 'scripts.build=spanweave build');
  const tsconfig = JSON.parse(read(fixture, 'tsconfig.json'));
  tsconfig.compilerOptions.outDir = 'dist';
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  cpSync(join(fixture, 'src'), join(dir, 'src'), { recursive: true });
  report.label = `${report.label} (typescript ${version(dir, 'typescript')}, @opentelemetry/api ${version(dir, '@opentelemetry/api')}, node ${run(node, ['--version'], dir).trim()})`;
  const manifest = JSON.parse(read(dir, 'package.json'));
  check(report, manifest.devDependencies?.typescript !== undefined && manifest.dependencies?.spanweave !== undefined, `package.json after the installs:\n${JSON.stringify(manifest, null, 2)}`);

  const built = exec('npm', ['run', 'build'], dir, env);
  check(report, built.status === 0, `npm run build exited ${built.status}:\n${built.output}`);
  check(report, read(dir, 'dist/shop.js').includes('spanweave/runtime'), 'dist/shop.js does not import spanweave/runtime');
  // Registering an SDK, as the README tells the user to; collect.cjs is that program. Its SDK 2.x
  // (sdk-trace-base) declares @opentelemetry/api <1.10.0, older than the `latest` the README's install
  // gets (1.10.0, for SDK 3.x), so npm must be told to accept that peer range.
  npm('install', '--legacy-peer-deps', ...SDK);
  cpSync(join(fixture, 'collect.cjs'), join(dir, 'collect.cjs'));
  const { thrownAt, ...traced } = collect(node, dir, 'dist');
  check(report, isDeepStrictEqual(traced, EXPECTED), `dist: expected ${JSON.stringify(EXPECTED)}\n got ${JSON.stringify(traced)}`);
  const where = location(thrownAt);
  check(report, where.file.endsWith('/src/shop.ts') && where.line === throwLine, `dist: thrownAt ${thrownAt}, expected src/shop.ts:${throwLine}`);
  report.summary = `npm init -y; npm install spanweave @opentelemetry/api; npm install -D typescript; npm run build (spanweave build): ${EXPECTED.spans.length} spans, ${EXPECTED.traces} traces, thrownAt shop.ts:${throwLine}`;
}

/** TypeScript 7 (native): its package gives JavaScript only `version`, so the transformer must refuse it by name. */
function checkNative(dir, node, report) {
  const load = "try { require('spanweave/transformer').default(undefined, {}, { ts: require('typescript') }); console.log('accepted'); } catch (error) { console.log(error.message); }";
  const loaded = exec(node, ['-e', load], dir);
  check(report, /was loaded into TypeScript 7\.\d+\.\d+\. TypeScript 7 \(native\) has no transformer API/.test(loaded.stdout), `loading the transformer: expected the TypeScript 7 refusal, got:\n${loaded.output}`);
  // tsc 7 does emit JavaScript, but reads no `plugins`: the fixture comes out untraced.
  const tsc = compile(node, dir, ['typescript', 'tsc'], 'out-tsc', report);
  check(report, tsc.js.includes('function fail(') && !tsc.js.includes('spanweave/runtime'), `tsc 7: expected shop.js untraced, got:\n${tsc.js}`);
  // spanweave build: tsc 7, then the emitted JavaScript woven, source maps chained to the .ts.
  const built = exec(node, [bin(dir, 'spanweave', 'spanweave'), 'build', '-p', '.', '--outDir', 'out-build', '--pretty', 'false'], dir);
  check(report, built.status === 0, `spanweave build exited ${built.status}:\n${built.output}`);
  const { thrownAt, ...traced } = collect(node, dir, 'out-build');
  check(report, isDeepStrictEqual(traced, EXPECTED), `out-build: expected ${JSON.stringify(EXPECTED)}\n got ${JSON.stringify(traced)}`);
  check(report, location(thrownAt).line === throwLine && location(thrownAt).file.endsWith('/src/shop.ts'), `out-build: thrownAt ${thrownAt}, expected src/shop.ts:${throwLine}`);
  // The esbuild adapter weaves without TypeScript, so TypeScript 7 alone is enough.
  checkEsbuildAdapter(dir, node, report);
  report.summary = `transformer refused ("TypeScript 7 (native) has no transformer API"); tsc 7 ignores plugins; spanweave build and spanweave/esbuild: ${EXPECTED.spans.length} spans, ${EXPECTED.traces} traces, thrownAt shop.ts:${throwLine}`;
}

function check(report, ok, problem) {
  if (!ok) report.problems.push(problem);
}

/** Compiles the leg's fixture with a package's compiler binary; returns the emitted shop.js and shop.d.ts. */
function compile(node, dir, [name, command], outDir, report) {
  const compiled = exec(node, [bin(dir, name, command), '-p', '.', '--outDir', outDir, '--declaration', '--pretty', 'false'], dir);
  check(report, compiled.status === 0 && compiled.output === '', `${command} exited ${compiled.status}:\n${compiled.output}`);
  return { js: read(dir, `${outDir}/shop.js`), dts: read(dir, `${outDir}/shop.d.ts`) };
}

/** Runs the compiled fixture under a real SDK (collect.cjs) with source maps, as a user's program would. */
function collect(node, dir, outDir) {
  const script = `require('./collect.cjs').collect(require('./${outDir}/shop.js')).then((r) => console.log(JSON.stringify(r)))`;
  return JSON.parse(run(node, ['--enable-source-maps', '-e', script], dir));
}

/** The file, line and column of a stack frame such as `at fail (/…/src/shop.ts:27:9)`. */
function location(stackLine) {
  const [, file = '', line = '0', column = '0'] = /([^\s(]+):(\d+):(\d+)\)?$/.exec(stackLine) ?? [];
  return { file: file.replaceAll('\\', '/'), line: Number(line), column: Number(column) };
}

/** Packs the repo (prepack builds dist) into a tarball named by its content, the one every leg installs. */
function pack() {
  const [{ filename, shasum }] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], repo));
  // A new build gets a new name, so a leg's package.json changes and its install is refreshed.
  const name = `spanweave-${shasum.slice(0, 12)}.tgz`;
  renameSync(join(work, filename), join(work, name));
  for (const entry of readdirSync(work)) if (entry.startsWith('spanweave-') && entry !== name) rmSync(join(work, entry));
  return name;
}

/** npm-installs `dependencies` into `dir`, unless they are installed there from the same package.json. */
function install(dir, dependencies) {
  if (flags.fresh) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const manifest = `${JSON.stringify({ private: true, dependencies }, null, 2)}\n`;
  const path = join(dir, 'package.json');
  const installed = Object.keys(dependencies).every((name) => existsSync(join(dir, 'node_modules', name, 'package.json')));
  if (installed && existsSync(path) && readFileSync(path, 'utf8') === manifest) return;
  writeFileSync(path, manifest);
  run('npm', ['install', '--no-audit', '--no-fund'], dir);
}

/** Node 22 for ts-patch 4 (and the Node 22 first install), from the npm registry's `node` package, whose bin is the real binary. */
function installNode22() {
  const dir = join(work, 'node22');
  install(dir, { node: '^22.15.0' });
  return bin(dir, 'node', 'node');
}

function bin(dir, name, command) {
  return join(dir, 'node_modules', name, JSON.parse(read(dir, `node_modules/${name}/package.json`)).bin[command]);
}

function version(dir, name) {
  return JSON.parse(read(dir, `node_modules/${name}/package.json`)).version;
}

function read(dir, path) {
  return existsSync(join(dir, path)) ? readFileSync(join(dir, path), 'utf8') : '';
}

function exec(command, args, cwd, env = process.env) {
  const { status, stdout, stderr } = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  return { status, stdout, output: (stdout + stderr).trim() };
}

/** Runs a command that must succeed; returns its stdout. */
function run(command, args, cwd, env) {
  const { status, stdout, output } = exec(command, args, cwd, env);
  if (status !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${status}:\n${output.split('\n').slice(-20).join('\n')}`);
  return stdout;
}
