/**
 * Every build tool gives the same result: each compiles fixtures/toolchains/src/shop.ts through its
 * spanweave adapter (configured as the README shows), the output runs under a real SDK
 * (collect.cjs), and the spans, the error and the source position of the throw must equal those
 * of the tspc build. Each tool's own build without spanweave is checked to have no spans, so the
 * comparison cannot pass by accident. Also: what the adapters leave alone, and their diagnostics.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import type * as ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../fixtures/toolchains/collect.cjs';
import { compileWithTspc } from './helpers/compile.js';
import { runAsync, type NodeRun } from './helpers/load-child.js';
import { node22 } from './helpers/node22.js';
import { fixturesDir, freshDir, repoRoot } from './helpers/paths.js';

const require = createRequire(import.meta.url);
const fixture = join(fixturesDir, 'toolchains');
const collect = join(fixture, 'collect.cjs');
const shopSource = join(fixture, 'src/shop.ts');
const throwLine = readFileSync(shopSource, 'utf8').split('\n').findIndex((line) => line.trim() === 'throw new Error(reason);') + 1;
const bin = (name: string): string => join(repoRoot, 'node_modules/.bin', name);

/** Runs a command in the fixture's folder. */
const run = (command: string, args: readonly string[], env: Record<string, string> = {}): Promise<NodeRun> =>
  runAsync(command, args, { cwd: fixture, env: { ...process.env, ...env } });

/** The report a run printed (or wrote to `file`), with the throw's position as `file:line:column`. */
function reportOf(result: NodeRun, file?: string): Report {
  const text = file === undefined ? result.stdout.split('\n').find((line) => line.startsWith('{"result"')) : readFileSync(file, 'utf8');
  if (text === undefined) throw new Error(`no report (exit ${result.status})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  const report = JSON.parse(text) as Report;
  const position = /([\w.-]+\.ts):(\d+):(\d+)\)?$/.exec(report.thrownAt);
  return { ...report, thrownAt: position ? position.slice(1).join(':') : report.thrownAt };
}

/** Runs a bundle of the fixture under the SDK, with source maps as a user runs it. */
const runBundle = (outDir: string): Promise<NodeRun> => run(process.execPath, ['--enable-source-maps', collect, join(outDir, 'shop.js')]);

async function bundled(tool: 'esbuild' | 'vite' | 'webpack' | 'webpack-transpile-only'): Promise<Report> {
  const outDir = freshDir(tool);
  const build = await run(process.execPath, [join(fixture, 'tools/build.mjs'), tool, outDir]);
  if (build.status !== 0) throw new Error(`${tool} build failed:\n${build.stderr}`);
  return reportOf(await runBundle(outDir));
}

async function testRunner(tool: 'vitest' | 'jest', config: string): Promise<Report> {
  const file = join(freshDir(tool), 'report.json');
  // Jest's cache is keyed on spanweave's version, not its code: a test of this build must not read it.
  return reportOf(await run(bin(tool), tool === 'vitest' ? ['run', '--config', config] : ['--config', config, '--no-cache'], { SPANWEAVE_REPORT: file }), file);
}

/** The fixture as an ES module (package.json `type: module`), imported by an ESM entry. */
function esmCopy(): string {
  const dir = freshDir('register-esm');
  copyFileSync(shopSource, join(dir, 'shop.ts'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'main.mjs'), `import { collect } from ${JSON.stringify(collect)};\nconsole.log(JSON.stringify(await collect(await import('./shop.ts'))));\n`);
  return join(dir, 'main.mjs');
}

const TOOLS = ['esbuild', 'vite build', 'webpack + ts-loader', 'webpack + ts-loader (transpileOnly)', 'vitest', 'jest + ts-jest', 'jest + ts-jest (isolatedModules)', 'ts-node', 'ts-node (transpileOnly)', 'node --import spanweave/register', 'node --import spanweave/register (ESM)', 'tsx + spanweave/register', 'tsx + spanweave/register (ESM)', 'tsx CLI + spanweave/register'] as const;
type Tool = (typeof TOOLS)[number];

let reference: Report;
let reports: Record<Tool, Report>;

beforeAll(async () => {
  const build = compileWithTspc(fixture);
  expect(build.exitCode, build.output).toBe(0);
  reference = reportOf(await runBundle(build.outDir));
  const node = node22();
  const register = (...args: string[]) => async () => reportOf(await run(node, ['--import', 'spanweave/register', ...args]));
  const tsx = (...args: string[]) => async () => reportOf(await run(node, ['--import', 'tsx', '--import', 'spanweave/register', ...args]));
  const tools: Record<Tool, () => Promise<Report>> = {
    esbuild: () => bundled('esbuild'),
    'vite build': () => bundled('vite'),
    'webpack + ts-loader': () => bundled('webpack'),
    'webpack + ts-loader (transpileOnly)': () => bundled('webpack-transpile-only'),
    vitest: () => testRunner('vitest', 'tools/vitest.config.mjs'),
    'jest + ts-jest': () => testRunner('jest', 'tools/jest.config.cjs'),
    'jest + ts-jest (isolatedModules)': () => testRunner('jest', 'tools/jest.isolated.config.cjs'),
    'ts-node': async () => reportOf(await run(process.execPath, ['-r', 'spanweave/ts-node', collect, shopSource])),
    'ts-node (transpileOnly)': async () => reportOf(await run(process.execPath, ['-r', 'spanweave/ts-node', collect, shopSource], { TS_NODE_TRANSPILE_ONLY: 'true' })),
    'node --import spanweave/register': register(collect, shopSource),
    'node --import spanweave/register (ESM)': register(esmCopy()),
    'tsx + spanweave/register': tsx(collect, shopSource),
    'tsx + spanweave/register (ESM)': tsx(esmCopy()),
    'tsx CLI + spanweave/register': async () => reportOf(await run(bin('tsx'), ['--import', 'spanweave/register', collect, shopSource], { PATH: `${dirname(node)}${delimiter}${process.env.PATH}` })),
  };
  const results = await Promise.all(TOOLS.map((tool) => tools[tool]()));
  reports = Object.fromEntries(TOOLS.map((tool, i) => [tool, results[i]!])) as Record<Tool, Report>;
}, 240_000);

describe('every build tool traces the fixture as tspc does', () => {
  it('tspc: the reference', () => {
    expect(reference.result).toBe('paid 7');
    expect(reference.spans.map((s) => `${s.name}<${s.parent ?? ''}`)).toEqual(['cart.total<checkout', 'checkout<', 'fail<', 'price<cart.total', 'price<cart.total']);
    expect(reference.spans.find((s) => s.name === 'checkout')?.attributes).toEqual({ 'cart.size': 2 });
    expect(reference.spans.find((s) => s.name === 'fail')?.status).toBe(2);
    expect(reference.traces).toBe(2);
    expect(reference.thrownAt).toBe(`shop.ts:${throwLine}:9`);
  });

  it.each(TOOLS)('%s', (tool) => {
    expect(reports[tool]).toEqual(reference);
  });

  it('the same tools without spanweave give no spans (tsx, Node type stripping, an esbuild bundle)', async () => {
    const node = node22();
    const stripped = reportOf(await run(node, ['--experimental-transform-types', collect, shopSource]));
    const tsx = reportOf(await run(node, ['--import', 'tsx', collect, shopSource]));
    const outDir = freshDir('esbuild-plain');
    expect((await run(bin('esbuild'), [shopSource, '--bundle', '--platform=node', '--packages=external', `--outfile=${join(outDir, 'shop.js')}`])).status).toBe(0);
    const plain = reportOf(await runBundle(outDir));
    for (const report of [stripped, tsx, plain]) {
      expect(report.result).toBe('paid 7');
      expect(report.spans).toEqual([]);
    }
  });
});

describe('what the adapters leave alone', () => {
  /** A TypeScript whose every transpileModule call is counted. */
  function countingTypeScript(): { typescript: typeof ts; calls: () => number } {
    const real = require('typescript') as typeof ts;
    let calls = 0;
    const typescript = new Proxy(real, {
      get: (target, key) => (key === 'transpileModule' ? (...args: Parameters<typeof ts.transpileModule>) => (calls++, target.transpileModule(...args)) : Reflect.get(target, key)),
    });
    return { typescript, calls: () => calls };
  }

  it('a file without tags is not parsed: the Vite plugin returns nothing and the tool keeps its own output', async () => {
    const { spanweave } = (await import('spanweave/vite')) as typeof import('../transformer/adapters/vite.js');
    const { typescript, calls } = countingTypeScript();
    const plugin = spanweave({ typescript, tsconfig: join(fixture, 'tsconfig.json') });
    const context = { error: (message: string): never => { throw new Error(message); }, warn: () => undefined };
    expect(plugin.transform.call(context, 'export const add = (a: number, b: number) => a + b;\n', '/app/src/add.ts')).toBeNull();
    expect(plugin.transform.call(context, '/** @traced */ export function f() {}', '/app/node_modules/lib/index.ts')).toBeNull();
    expect(plugin.transform.call(context, '/** @traced */ export function f() {}', '/app/src/style.css')).toBeNull();
    expect(calls()).toBe(0);
    // A file that mentions the word but has no tag is parsed, left unchanged, and still not replaced.
    expect(plugin.transform.call(context, '// traced elsewhere\nexport const x = 1;\n', '/app/src/x.ts')).toBeNull();
    expect(calls()).toBe(1);
    expect(plugin.transform.call(context, '/** @traced */\nexport function f() {}\n', '/app/src/f.ts?v=1')?.code).toContain('spanweave/runtime');
  });

  it('esbuild leaves a file without tags to its own loader', async () => {
    const { spanweave } = (await import('spanweave/esbuild')) as typeof import('../transformer/adapters/esbuild.js');
    const { typescript, calls } = countingTypeScript();
    let onLoad: ((args: { path: string }) => Promise<unknown>) | undefined;
    spanweave({ typescript, tsconfig: false }).setup({ initialOptions: {}, onLoad: (_options, callback) => void (onLoad = callback) });
    const dir = freshDir('esbuild-untagged');
    writeFileSync(join(dir, 'add.ts'), 'export const add = (a: number, b: number) => a + b;\n');
    expect(await onLoad!({ path: join(dir, 'add.ts') })).toBeUndefined();
    expect(calls()).toBe(0);
  });
});

describe('a malformed tag is a diagnostic with file, line and fix hint in every tool', () => {
  const badSource = '/** @traced grpc.sever */\nexport function handle(): number {\n  return 1;\n}\n';
  let dir: string;
  beforeAll(() => {
    dir = freshDir('bad-tag');
    writeFileSync(join(dir, 'bad.ts'), badSource);
    writeFileSync(join(dir, 'package.json'), '{}\n');
  });

  it('esbuild fails the build with it', async () => {
    const { build } = await import('esbuild');
    const { spanweave } = (await import('spanweave/esbuild')) as typeof import('../transformer/adapters/esbuild.js');
    const failure = await build({ entryPoints: [join(dir, 'bad.ts')], write: false, logLevel: 'silent', plugins: [spanweave({ tsconfig: false })] }).catch((error: Error) => error);
    expect(String(failure)).toMatch(/bad\.ts\(1,\d+\): error TS95001: spanweave: .*Did you mean 'grpc\.server'/);
  });

  it('the Vite plugin raises it as a build error', async () => {
    const { spanweave } = (await import('spanweave/vite')) as typeof import('../transformer/adapters/vite.js');
    const plugin = spanweave({ tsconfig: false });
    const context = { error: (message: string): never => { throw new Error(message); }, warn: () => undefined };
    expect(() => plugin.transform.call(context, badSource, join(dir, 'bad.ts'))).toThrow(/bad\.ts\(1,\d+\): error TS95001: spanweave: .*Did you mean 'grpc\.server'/);
  });

  it('spanweave/register refuses to load the file', async () => {
    const result = await run(node22(), ['--import', 'spanweave/register', join(dir, 'bad.ts')]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/SyntaxError: .*bad\.ts\(1,\d+\): error TS95001: spanweave: .*Did you mean 'grpc\.server'/);
  });

  it.skipIf(node22() === process.execPath)('spanweave/register on a Node without module.registerHooks says what to do', async () => {
    const result = await run(process.execPath, ['--import', 'spanweave/register', '-e', '']);
    expect(result.stderr).toContain('spanweave/register needs module.registerHooks (Node >= 22.15 or >= 23.5');
  });
});
