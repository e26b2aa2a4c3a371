/**
 * Every build tool gives the same result: each compiles fixtures/toolchains/src/shop.ts through its
 * spanweave adapter (configured as the README shows), the output runs under a real SDK
 * (collect.cjs), and the spans, the error and the source position of the throw must equal those
 * of the tspc build. Each tool's own build without spanweave is checked to have no spans, so the
 * comparison cannot pass by accident. Also: what the adapters leave alone, and their diagnostics.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, delimiter, dirname, join } from 'node:path';
import type { Plugin } from 'esbuild';
import type { Plugin as RolldownPlugin, RolldownOutput } from 'rolldown';
import type { WebpackFamilyPlugin } from '../transformer/adapters/webpack-family.js';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Report } from '../fixtures/toolchains/collect.cjs';
import { compileWithTspc } from './helpers/compile.js';
import { childSdk, reported, runAsync, type NodeRun, type SpanRecord } from './helpers/load-child.js';
import { bun } from './helpers/bun.js';
import { node22 } from './helpers/node22.js';
import { fixturesDir, freshDir, repoRoot } from './helpers/paths.js';

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

/** The tools of fixtures/toolchains/tools/build.mjs; the first six through spanweave's bundler plugins. */
const BUNDLERS = ['esbuild', 'vite', 'rollup', 'rolldown', 'webpack-plugin', 'rspack'] as const;
type Bundler = (typeof BUNDLERS)[number] | 'webpack' | 'webpack-transpile-only' | 'rspack-preloader';

/** Runs tools/build.mjs in a project's folder (default the fixture): `tool` bundles `entry` into a fresh folder. */
async function build(tool: Bundler, options: { project?: string; entry?: string; withoutSpanweave?: boolean; noSourceMap?: boolean } = {}): Promise<NodeRun & { outDir: string }> {
  const outDir = freshDir(tool);
  const flags = [...(options.withoutSpanweave ? ['--without-spanweave'] : []), ...(options.noSourceMap ? ['--no-source-map'] : [])];
  const args = [join(fixture, 'tools/build.mjs'), tool, outDir, ...(options.entry ? [options.entry] : []), ...flags];
  return { ...(await runAsync(process.execPath, args, { cwd: options.project ?? fixture })), outDir };
}

async function bundled(tool: Bundler, withoutSpanweave = false): Promise<Report> {
  const result = await build(tool, { withoutSpanweave });
  if (result.status !== 0) throw new Error(`${tool} build failed:\n${result.stderr}`);
  return reportOf(await runBundle(result.outDir));
}

/** The fixture bundled by Bun.build (tools/bun-build.mjs, run by Bun), run by Node. */
async function bunBundled(withoutSpanweave = false): Promise<Report> {
  const outDir = freshDir('bun');
  const result = await runAsync(bun(), [join(fixture, 'tools/bun-build.mjs'), outDir, ...(withoutSpanweave ? ['--without-spanweave'] : [])], { cwd: fixture });
  if (result.status !== 0) throw new Error(`Bun.build failed:\n${result.stderr}`);
  return reportOf(await runBundle(outDir));
}

/** A module exporting one tagged function, `name`, that returns 1. */
const taggedModule = (name: string): string => `/** @traced */\nexport function ${name}(): number {\n  return 1;\n}\n`;

/** A fresh folder with these files (paths relative to it). */
function project(label: string, files: Record<string, string>): string {
  const dir = freshDir(label);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

interface WebpackLikeStats {
  hasErrors(): boolean;
  toString(options: object): string;
  toJson(options: object): unknown;
}
type WebpackLikeCallback = (error: Error | null, stats?: WebpackLikeStats) => void;
/** What the tests use of a webpack or Rspack compiler. */
interface WebpackLikeCompiler {
  run(callback: WebpackLikeCallback): void;
  watch(options: { aggregateTimeout: number }, callback: WebpackLikeCallback): { close(callback: () => void): void };
  close(callback: () => void): void;
}

/**
 * A webpack or Rspack compiler bundling a project's entry (for Node unless told), through its
 * TypeScript step: builtin:swc-loader, or ts-loader, transpileOnly unless `typeCheck`.
 */
async function webpackLike(tool: 'webpack' | 'rspack', dir: string, entry: string, outDir: string, plugins: readonly WebpackFamilyPlugin[], { target = 'node', typeCheck = false }: { target?: 'node' | 'web'; typeCheck?: boolean } = {}): Promise<WebpackLikeCompiler> {
  const typescript =
    tool === 'rspack'
      ? { loader: 'builtin:swc-loader', options: { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }, type: 'javascript/auto' }
      : { loader: join(repoRoot, 'node_modules/ts-loader'), options: { transpileOnly: !typeCheck } };
  const config = {
    mode: 'none',
    cache: true, // as in development: watching reuses what it can
    target,
    context: dir,
    entry: join(dir, entry),
    output: { path: outDir, filename: 'main.js', library: { type: 'commonjs2' } },
    resolve: { extensions: ['.ts', '.js'] },
    externals: [/^spanweave\//],
    plugins,
    // `?raw` imports a file as its text, as Vite does.
    module: { rules: [{ resourceQuery: /raw/, type: 'asset/source' }, { test: /\.ts$/, resourceQuery: { not: [/raw/] }, ...typescript }] },
  };
  const create: (config: never) => unknown = tool === 'rspack' ? (await import('@rspack/core')).rspack : (await import('webpack')).default;
  return create(config as never) as WebpackLikeCompiler;
}

/** One build of the compiler, closed after it; the build must have no errors. */
async function builtOnce(compiler: WebpackLikeCompiler): Promise<WebpackLikeStats> {
  const stats = await new Promise<WebpackLikeStats>((done, fail) => compiler.run((error, result) => (error ? fail(error) : compiler.close(() => done(result!)))));
  expect(stats.hasErrors(), stats.toString({ all: false, errors: true })).toBe(false);
  return stats;
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

const TOOLS = ['esbuild', 'Bun.build', 'vite build', 'rollup + esbuild transform', 'rolldown', 'webpack + spanweave/webpack + ts-loader (transpileOnly)', 'rspack + spanweave/rspack + builtin:swc-loader', 'webpack + ts-loader', 'webpack + ts-loader (transpileOnly)', 'vitest', 'jest + ts-jest', 'jest + ts-jest (isolatedModules)', 'ts-node', 'ts-node (transpileOnly)', 'node --import spanweave/register', 'node --import spanweave/register (ESM)', 'tsx + spanweave/register', 'tsx + spanweave/register (ESM)', 'tsx CLI + spanweave/register'] as const;
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
    'Bun.build': () => bunBundled(),
    'vite build': () => bundled('vite'),
    'rollup + esbuild transform': () => bundled('rollup'),
    rolldown: () => bundled('rolldown'),
    'webpack + spanweave/webpack + ts-loader (transpileOnly)': () => bundled('webpack-plugin'),
    'rspack + spanweave/rspack + builtin:swc-loader': () => bundled('rspack'),
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

  it('bun run with spanweave/bun in a preload: the spans of the tspc build, the throw at the position Bun gives without it', async () => {
    const runWithBun = async (...preload: string[]) => reportOf(await run(bun(), [...preload, collect, shopSource]));
    const [woven, plain] = [await runWithBun('--preload', join(fixture, 'tools/bun-preload.mjs')), await runWithBun()];
    expect(plain.spans).toEqual([]);
    expect({ ...woven, thrownAt: reference.thrownAt }).toEqual(reference);
    // Bun's own transpile places the throw at another column than tsc's; the line is the same.
    expect(woven.thrownAt).toBe(plain.thrownAt);
  }, 60_000);

  it("rspack after a pre loader of the user's: the map chained through it, the throw at its line in shop.ts", async () => {
    expect(await bundled('rspack-preloader')).toEqual(reference);
  }, 60_000);

  it.each([...BUNDLERS, 'webpack', 'bun'] as const)('%s: the same build without spanweave gives no spans', async (tool) => {
    const report = tool === 'bun' ? await bunBundled(true) : await bundled(tool, true);
    expect(report.result).toBe('paid 7');
    expect(report.spans).toEqual([]);
  }, 60_000);
});

describe("the weave's source map through each bundler", () => {
  /** The throw's `file:line:column` as `node --enable-source-maps` reports it, from a bundle of src/one-line.ts. */
  async function throwIn(tool: (typeof BUNDLERS)[number], withoutSpanweave: boolean): Promise<string> {
    const result = await build(tool, { entry: 'src/one-line.ts', withoutSpanweave });
    expect(result.status, result.stderr).toBe(0);
    const bundle = JSON.stringify(join(result.outDir, 'one-line.js'));
    const ran = await run(process.execPath, ['--enable-source-maps', '-e', `try { require(${bundle}).failAtOnce('x') } catch (error) { console.log(error.stack.split('\\n')[1]) }`]);
    return /([\w.-]+\.ts:\d+:\d+)\)?$/.exec(ran.stdout.trim())?.[1] ?? `no position in: ${ran.stdout}${ran.stderr}`;
  }

  it.each(BUNDLERS)("%s: a throw on a line the weave adds to is at its line and column in the .ts, as the tool's own build puts it", async (tool) => {
    const [woven, plain] = await Promise.all([throwIn(tool, false), throwIn(tool, true)]);
    expect(plain).toMatch(/^one-line\.ts:4:\d+$/);
    expect(woven).toBe(plain);
  }, 60_000);

  it.each(BUNDLERS)("%s: the bundle's map holds the TypeScript sources of the tool's own build, with their text, and not the woven text", async (tool) => {
    const typescriptSources = async (withoutSpanweave: boolean): Promise<[string, string | null][]> => {
      const { outDir, status, stderr } = await build(tool, { withoutSpanweave });
      expect(status, stderr).toBe(0);
      const map = JSON.parse(readFileSync(join(outDir, 'shop.js.map'), 'utf8')) as { sources: string[]; sourcesContent: (string | null)[] };
      return map.sources.flatMap((source, index) => (/\.ts(\?|$)/.test(source) ? [[basename(source), map.sourcesContent[index] ?? null]] : []));
    };
    const [woven, plain] = await Promise.all([typescriptSources(false), typescriptSources(true)]);
    expect(plain).toEqual([['shop.ts', readFileSync(shopSource, 'utf8')]]);
    expect(woven).toEqual(plain);
  }, 60_000);

  it("Vite's dev server maps woven modules whatever build.sourcemap says: an SSR throw on a line the weave adds to is at its .ts column", async () => {
    const { createServer } = await import('vite');
    const { spanweave } = (await import('spanweave/vite')) as typeof import('../transformer/adapters/vite.js');
    const throwIn = async (withSpanweave: boolean): Promise<string | undefined> => {
      const server = await createServer({
        root: join(fixture, 'src'), configFile: false, logLevel: 'silent', plugins: withSpanweave ? [spanweave()] : [],
        build: { sourcemap: false }, server: { middlewareMode: true, hmr: false, ws: false }, appType: 'custom',
      });
      try {
        const module = (await server.ssrLoadModule('/one-line.ts')) as { failAtOnce(reason: string): never };
        module.failAtOnce('x');
      } catch (error) {
        server.ssrFixStacktrace(error as Error);
        return /one-line\.ts:(\d+:\d+)/.exec((error as Error).stack ?? '')?.[1];
      } finally {
        await server.close();
      }
      return undefined;
    };
    const [woven, plain] = [await throwIn(true), await throwIn(false)];
    expect(plain).toMatch(/^4:\d+$/);
    expect(woven).toBe(plain);
  });

  it.each(['esbuild', 'vite', 'webpack-plugin', 'rspack'] as const)('%s without source maps: the build traces as the reference, and no map is written', async (tool) => {
    const result = await build(tool, { noSourceMap: true });
    expect(result.status, result.stderr).toBe(0);
    const report = reportOf(await runBundle(result.outDir));
    expect({ ...report, thrownAt: reference.thrownAt }).toEqual(reference);
    expect(readFileSync(join(result.outDir, 'shop.js'), 'utf8')).not.toContain('sourceMappingURL');
  }, 60_000);
});

describe('what the bundler plugins leave alone, and what they read', () => {
  /** No tag, a mention of the word only, a tag under node_modules, and JSX in a .js file. */
  const untagged = {
    'main.ts': "import { add } from './add';\nimport { note } from './note';\nimport { lib } from 'lib';\nimport { view } from './view.js';\n\nexport const all = [add(1, 2), note, lib(), view];\n",
    'add.ts': 'export const add = (a: number, b: number): number => a + b;\n',
    'note.ts': "// traced elsewhere, not here\nexport const note: string = 'n';\n",
    'view.js': 'export const view = <div>untagged</div>;\n',
    'node_modules/lib/package.json': '{ "name": "lib", "main": "index.ts" }\n',
    'node_modules/lib/index.ts': taggedModule('lib'),
  };

  it('esbuild: files without tags and files under node_modules come out as esbuild makes them, with the loaders the build configures', async () => {
    const { build: esbuild } = await import('esbuild');
    const { spanweave } = (await import('spanweave/esbuild')) as typeof import('../transformer/adapters/esbuild.js');
    const dir = project('untagged-esbuild', untagged);
    const bundle = async (plugins: Plugin[]) => {
      const result = await esbuild({ entryPoints: [join(dir, 'main.ts')], absWorkingDir: dir, bundle: true, write: false, format: 'esm', loader: { '.js': 'jsx' }, jsx: 'preserve', logLevel: 'silent', plugins });
      return result.outputFiles[0]!.text;
    };
    const woven = await bundle([spanweave()]);
    expect(woven).toBe(await bundle([]));
    expect(woven).not.toContain('spanweave');
  });

  it('esbuild: a tagged .js file with JSX is woven; a text import and another plugin\'s virtual module are left to what loads them', async () => {
    const { build: esbuild } = await import('esbuild');
    const { spanweave } = (await import('spanweave/esbuild')) as typeof import('../transformer/adapters/esbuild.js');
    const dir = project('jsx-text-virtual-esbuild', {
      'main.ts': "import { render } from './view.js';\nimport text from './t.ts' with { type: 'text' };\nimport { v } from 'virtual:thing';\n\nexport const all = [render('x'), text, v];\n",
      'view.js': '/** @traced */\nexport function render(x) {\n  return <b>{x}</b>;\n}\n',
      't.ts': taggedModule('t'),
    });
    const virtual: Plugin = {
      name: 'virtual',
      setup(build) {
        build.onResolve({ filter: /^virtual:/ }, ({ path }) => ({ path: `${path}.ts`, namespace: 'virtual' }));
        build.onLoad({ filter: /.*/, namespace: 'virtual' }, () => ({ contents: '/** @traced */\nexport function made(): number {\n  return 2;\n}\nexport const v = made();\n', loader: 'ts' }));
      },
    };
    const result = await esbuild({ entryPoints: [join(dir, 'main.ts')], absWorkingDir: dir, bundle: true, write: false, format: 'esm', loader: { '.js': 'jsx' }, jsx: 'preserve', external: ['spanweave/*'], logLevel: 'silent', plugins: [spanweave(), virtual] });
    const output = result.outputFiles[0]!.text;
    expect(output).toContain('run("render"');
    expect(output).toContain(JSON.stringify(readFileSync(join(dir, 't.ts'), 'utf8')));
    expect(output).not.toContain('run("made"');
  });

  it.each(['webpack', 'rspack'] as const)('%s: a tagged file imported as its text (?raw) is its text; imported as code, it is woven', async (tool) => {
    const { spanweave } = (tool === 'rspack' ? await import('spanweave/rspack') : await import('spanweave/webpack')) as typeof import('../transformer/adapters/webpack.js');
    const tagged = taggedModule('t');
    const dir = project(`raw-${tool}`, { 'main.ts': "// @ts-nocheck\nimport text from './t.ts?raw';\nimport { t } from './t';\n\nexport const all = [text, t];\n", 't.ts': tagged, 'tsconfig.json': '{}\n' });
    const outDir = join(dir, 'out');
    await builtOnce(await webpackLike(tool, dir, 'main.ts', outDir, [spanweave()]));
    const bundle = readFileSync(join(outDir, 'main.js'), 'utf8');
    expect(bundle).toContain(JSON.stringify(tagged));
    expect(bundle).toContain('run("t"');
  }, 60_000);

  it('Rolldown: the same files come out as Rolldown makes them', async () => {
    const { rolldown } = await import('rolldown');
    const { spanweave } = (await import('spanweave/rolldown')) as typeof import('../transformer/adapters/rolldown.js');
    const dir = project('untagged-rolldown', untagged);
    const bundle = async (plugins: RolldownPlugin[]) => {
      const build = await rolldown({ input: join(dir, 'main.ts'), cwd: dir, moduleTypes: { '.js': 'jsx' }, transform: { jsx: 'preserve' }, logLevel: 'silent', plugins });
      return (await build.generate({ format: 'esm' })).output[0].code;
    };
    const woven = await bundle([spanweave()]);
    expect(woven).toBe(await bundle([]));
    expect(woven).not.toContain('spanweave');
  });

  it.each(['webpack', 'rspack'] as const)('%s: awaitContext is on for a web target and off for Node unless set', async (tool) => {
    const { spanweave } = (tool === 'rspack' ? await import('spanweave/rspack') : await import('spanweave/webpack')) as typeof import('../transformer/adapters/webpack.js');
    const dir = project(`await-context-${tool}`, { 'main.ts': '/** @traced */\nexport async function go(x: Promise<number>) {\n  return (await x) + 1;\n}\n', 'tsconfig.json': '{}\n' });
    const built = async (target: 'node' | 'web', awaitContext?: boolean): Promise<string> => {
      const outDir = join(dir, `out-${target}-${awaitContext}`);
      await builtOnce(await webpackLike(tool, dir, 'main.ts', outDir, [spanweave({ awaitContext })], { target }));
      return readFileSync(join(outDir, 'main.js'), 'utf8');
    };
    expect(await built('web')).toContain('.resuming(');
    expect(await built('node')).not.toContain('.resuming(');
    expect(await built('node', true)).toContain('.resuming(');
    expect(await built('web', false)).not.toContain('.resuming(');
  }, 60_000);

  it('webpack: ts-loader checking types after spanweave/webpack checks the woven code: a gRPC handler, a client construction and methods pass its check, and the build is warned once', async () => {
    const { spanweave } = (await import('spanweave/webpack')) as typeof import('../transformer/adapters/webpack.js');
    const dir = project('type-check-webpack', {
      'main.ts': "export { connect, greeter } from './greeter';\nexport { Shop } from './shop';\n",
      // The handler uses the callback the runtime hands back; the client is constructed by the runtime.
      'greeter.ts':
        "import type * as grpc from '@grpc/grpc-js';\n\n/** @traced grpc.server */\nexport const greeter = {\n  sayHello(call: grpc.ServerUnaryCall<{ name: string }, { message: string }>, callback: grpc.sendUnaryData<{ message: string }>): void {\n    callback(null, { message: `hello ${call.request.name}` });\n  },\n};\n\n" +
        'export function connect(Client: typeof grpc.Client, address: string, credentials: grpc.ChannelCredentials): grpc.Client {\n  /** @traced grpc.client */\n  const client = new Client(address, credentials);\n  return client;\n}\n',
      // `new Promise(...)` takes its type from the method's return type, as in the code written.
      'shop.ts':
        'export class Shop {\n  private readonly prices = new Map<string, number>();\n\n  /** @traced */\n  price(id: string): number {\n    return this.prices.get(id) ?? 0;\n  }\n\n' +
        '  /** @traced */\n  later(id: string): Promise<number> {\n    return new Promise((resolve) => resolve(this.price(id)));\n  }\n}\n',
      'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'node16', moduleResolution: 'node16', types: [], skipLibCheck: true } }),
    });
    const warningsOf = async (typeCheck: boolean): Promise<string[]> => {
      const outDir = join(dir, `out-${typeCheck}`);
      const stats = await builtOnce(await webpackLike('webpack', dir, 'main.ts', outDir, [spanweave()], { typeCheck }));
      const bundle = readFileSync(join(outDir, 'main.js'), 'utf8');
      expect(bundle).toContain('serve("greeter.sayHello"');
      expect(bundle).toContain('.client(Client, [address, credentials])');
      return (stats.toJson({ all: false, warnings: true }) as { warnings: { message: string }[] }).warnings.map((warning) => warning.message);
    };
    const checked = await warningsOf(true);
    expect(checked.filter((message) => message.includes('spanweave: ts-loader type-checks the woven code'))).toHaveLength(1);
    expect(checked.join('\n')).toContain('transpileOnly: true');
    expect(await warningsOf(false)).toEqual([]);
  }, 60_000);

  it('Rspack: the same files come out as Rspack makes them', async () => {
    const { spanweave } = (await import('spanweave/rspack')) as typeof import('../transformer/adapters/rspack.js');
    const { 'view.js': _jsx, ...files } = untagged; // Rspack's own loaders read no JSX in .js
    const dir = project('untagged-rspack', { ...files, 'main.ts': files['main.ts'].replace(/^import \{ view \}.*\n/m, '').replace(', view]', ']') });
    // Each module's code after the loaders, by its path: the bundle's order of modules follows when each was built.
    const modules = async (plugins: WebpackFamilyPlugin[]) => {
      const outDir = join(dir, `out-${plugins.length}`);
      const stats = await builtOnce(await webpackLike('rspack', dir, 'main.ts', outDir, plugins));
      const { modules } = stats.toJson({ all: false, modules: true, source: true }) as { modules: { name: string; source: string }[] };
      return modules.map(({ name, source }) => `${name}\n${source}`).sort();
    };
    const woven = await modules([spanweave()]);
    expect(woven).toEqual(await modules([]));
    expect(woven.map((module) => module.split('\n')[0])).toEqual(expect.arrayContaining(['./note.ts', './node_modules/lib/index.ts']));
    expect(woven.join('\n')).not.toContain('spanweave');
  });

  it('Vite: a module imported with a query is woven as its file', async () => {
    const { build: viteBuild } = await import('vite');
    const { spanweave } = (await import('spanweave/vite')) as typeof import('../transformer/adapters/vite.js');
    const dir = project('query-vite', {
      'main.ts': "export { traced } from './traced.ts?v=1';\n",
      'traced.ts': taggedModule('traced'),
    });
    const result = (await viteBuild({ root: dir, configFile: false, logLevel: 'silent', plugins: [spanweave()], build: { ssr: 'main.ts', write: false, minify: false } })) as RolldownOutput;
    expect(result.output[0].code).toContain('spanweave/runtime');
  });

  it('Rolldown and Vite are told which files mention no tag (the hook filter on the code), unless a tsconfig lists files in traceAll', async () => {
    const { spanweave } = (await import('spanweave/rolldown')) as typeof import('../transformer/adapters/rolldown.js');
    const codeFilter = (plugin: RolldownPlugin) => (plugin.transform as { filter?: { code?: { include?: RegExp } } }).filter?.code?.include;
    const filter = codeFilter(spanweave());
    expect(filter?.test('/** @traced */ function f() {}')).toBe(true);
    expect(filter?.test('function f() {}')).toBe(false);
    expect(codeFilter(spanweave({ traceAll: ['src/lib'] }))).toBeUndefined();
  });

  it('Vite: a root whose tsconfig lists traceAll, the plugin created where none does: the build fails and says what to do', async () => {
    const { build: viteBuild } = await import('vite');
    const { spanweave } = (await import('spanweave/vite')) as typeof import('../transformer/adapters/vite.js');
    const dir = project('trace-all-root-vite', { 'tsconfig.json': '{ "compilerOptions": { "plugins": [{ "transform": "spanweave/transformer", "traceAll": ["lib"] }] } }\n', 'lib/main.ts': 'export const one = 1;\n' });
    const building = viteBuild({ root: dir, configFile: false, logLevel: 'silent', plugins: [spanweave()], build: { ssr: 'lib/main.ts', write: false } });
    await expect(building).rejects.toThrow(/lists files in traceAll, but the plugin was created in .*spanweave\(\{ traceAll: \[\.\.\.\] \}\)/);
  });

  it('Vite: awaitContext is on for client code and off for SSR unless set, by the plugin or the tsconfig entry', async () => {
    const { build: viteBuild } = await import('vite');
    const { spanweave } = (await import('spanweave/vite')) as typeof import('../transformer/adapters/vite.js');
    const dir = project('await-context-vite', { 'main.ts': '/** @traced */\nexport async function go(x: Promise<number>) {\n  return (await x) + 1;\n}\n' });
    const built = async (ssr: boolean, awaitContext?: boolean): Promise<string> => {
      const lib = ssr ? undefined : { entry: 'main.ts', formats: ['es' as const] };
      const result = (await viteBuild({ root: dir, configFile: false, logLevel: 'silent', plugins: [spanweave({ awaitContext })], build: { ssr: ssr ? 'main.ts' : undefined, lib, write: false, minify: false, rollupOptions: { external: [/^spanweave/] } } })) as RolldownOutput | RolldownOutput[];
      return (Array.isArray(result) ? result[0]! : result).output[0].code;
    };
    expect(await built(false)).toContain('.resuming(');
    expect(await built(true)).not.toContain('.resuming(');
    expect(await built(true, true)).toContain('.resuming(');
    expect(await built(false, false)).not.toContain('.resuming(');
    writeFileSync(join(dir, 'tsconfig.json'), '{ "compilerOptions": { "plugins": [{ "transform": "spanweave/transformer", "awaitContext": true }] } }\n');
    expect(await built(true)).toContain('.resuming(');
    expect(await built(true, false)).not.toContain('.resuming(');
  });

  // Each tool finds the tsconfig.json from its own root (here the folder the build runs in); comments,
  // trailing commas and `extends` by path as tsc reads them; `traceAll` relative to the tsconfig.
  const traceAllProject = {
    'tsconfig.json': '// the spanweave entry is in the base\n{\n  "extends": "./tsconfig.base",\n  "include": ["src"], /* a trailing comma */\n}\n',
    'tsconfig.base.json': '{\n  "compilerOptions": {\n    "target": "ES2022",\n    "module": "commonjs",\n    "strict": true,\n    "types": [],\n    "plugins": [{ "transform": "spanweave/transformer", "traceAll": ["src/lib"] },],\n  },\n}\n',
    'src/lib/math.ts': '// no tag, no mention of one\nexport function add(a: number, b: number): number {\n  return a + b;\n}\n\nadd(1, 2);\n',
  };

  it.each(BUNDLERS)('%s traces the files the tsconfig lists in traceAll', async (tool) => {
    const dir = project(`trace-all-${tool}`, traceAllProject);
    const result = await build(tool, { project: dir, entry: 'src/lib/math.ts' });
    expect(result.status, result.stderr).toBe(0);
    const spans = reported<SpanRecord[]>(await runAsync(process.execPath, ['--import', childSdk, join(result.outDir, 'math.js')]), 'spans');
    expect(spans.map((span) => span.name)).toEqual(['add']);
  }, 60_000);
});

describe('webpack and Rspack watching: a file that gains its first tag is woven on the rebuild', () => {
  // The plugin's rule hands its loader only the files that mention a tag, when each module is made.
  it.each(['webpack', 'rspack'] as const)('%s', async (tool) => {
    const { spanweave } = (tool === 'rspack' ? await import('spanweave/rspack') : await import('spanweave/webpack')) as typeof import('../transformer/adapters/webpack.js');
    const dir = project(`watch-${tool}`, { 'main.ts': "export { pay } from './pay';\n", 'pay.ts': 'export function pay(): number {\n  return 1;\n}\n', 'tsconfig.json': '{}\n' });
    const outDir = join(dir, 'out');
    const compiler = await webpackLike(tool, dir, 'main.ts', outDir, [spanweave()]);
    const builds: (string | Error)[] = [];
    const watching = compiler.watch({ aggregateTimeout: 50 }, (error, stats) => {
      builds.push(error ?? (stats!.hasErrors() ? new Error(stats!.toString({ all: false, errors: true })) : readFileSync(join(outDir, 'main.js'), 'utf8')));
    });
    try {
      await vi.waitFor(() => expect(builds.length).toBeGreaterThan(0), { timeout: 20_000 });
      expect(builds[0]).not.toContain('spanweave/runtime');
      // A watcher sees a change by the file's time: the edit must come after the first build's.
      // A watcher may also rebuild once for files written just before it started: the last build counts.
      await new Promise((done) => setTimeout(done, 1_000));
      writeFileSync(join(dir, 'pay.ts'), taggedModule('pay'));
      await vi.waitFor(() => expect(builds.at(-1)).toContain('spanweave/runtime'), { timeout: 20_000, interval: 100 });
    } finally {
      await new Promise<void>((done) => watching.close(done));
    }
  }, 60_000);
});

describe('a malformed tag is a diagnostic with file, line and fix hint in every tool', () => {
  const badSource = '/** @traced grpc.sever */\nexport function handle(): number {\n  return 1;\n}\n';
  const diagnostic = /bad\.ts\(1,\d+\): error TS95001: spanweave: .*Did you mean 'grpc\.server'/;
  let dir: string;
  beforeAll(() => {
    dir = project('bad-tag', { 'bad.ts': badSource, 'package.json': '{}\n', 'tsconfig.json': '{}\n' });
  });

  it.each(BUNDLERS)('%s fails the build with it', async (tool) => {
    const result = await build(tool, { project: dir, entry: 'bad.ts' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(diagnostic);
  }, 60_000);

  it('spanweave/register refuses to load the file', async () => {
    const result = await run(node22(), ['--import', 'spanweave/register', join(dir, 'bad.ts')]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`SyntaxError: .*${diagnostic.source}`));
  });

  it.skipIf(node22() === process.execPath)('spanweave/register on a Node without module.registerHooks says what to do', async () => {
    const result = await run(process.execPath, ['--import', 'spanweave/register', '-e', '']);
    expect(result.stderr).toContain('spanweave/register needs module.registerHooks (Node >= 22.15 or >= 23.5');
  });
});
