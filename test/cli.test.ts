/**
 * `spanweave build` (transformer/cli): fixtures/ts7 built with TypeScript 7 (its tsc, then the
 * emitted JavaScript woven) and with TypeScript 5.9 (the compiler API and the transformer, no
 * ts-patch), each output run under a real SDK by fixtures/toolchains/collect.cjs: the same spans,
 * and the throw's position through the chained source map. Also: a second build changes nothing,
 * a rebuild weaves only what tsc emitted again, what is refused or reported, and --watch.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../fixtures/toolchains/collect.cjs';
import { runAsync, type NodeRun } from './helpers/load-child.js';
import { fixturesDir, freshDir, repoRoot } from './helpers/paths.js';

const require = createRequire(import.meta.url);
const cli = join(repoRoot, 'dist/transformer/cli/main.js');
const typescript7 = join(repoRoot, 'node_modules/typescript7');
const tsc7 = join(typescript7, 'bin/tsc');
const collect = join(fixturesDir, 'toolchains/collect.cjs');
/** The 1-based line of the fixture's throw in a text: its source, or what a build emitted. */
const throwLineIn = (text: string): number => text.split('\n').findIndex((line) => line.trim() === 'throw new Error(reason);') + 1;
const throwLine = throwLineIn(readFileSync(join(fixturesDir, 'ts7/src/shop.ts'), 'utf8'));

function copyFixture(label: string): string {
  const dir = freshDir(`cli-${label}`);
  cpSync(join(fixturesDir, 'ts7'), dir, { recursive: true });
  return dir;
}

/** `spanweave build` in `dir`, on TypeScript 7 unless `typescript` is `project` (the repository's 5.9, resolved as a user's). */
function build(dir: string, args: readonly string[] = [], typescript: 'ts7' | 'project' = 'ts7'): Promise<NodeRun> {
  const choice = typescript === 'ts7' ? ['--typescript', typescript7] : [];
  return runAsync(process.execPath, [cli, 'build', ...choice, '--pretty', 'false', ...args], { cwd: dir });
}

const output = (run: NodeRun): string => run.stdout + run.stderr;

/** The fixture's calls, run from `out/` under a real SDK with source maps on; the throw as `file:line:column`. */
async function report(dir: string): Promise<Report> {
  const run = await runAsync(process.execPath, ['--enable-source-maps', collect, join(dir, 'out/shop.js')]);
  const line = run.stdout.split('\n').find((text) => text.startsWith('{"result"'));
  if (line === undefined) throw new Error(`no report (exit ${run.status})\n${output(run)}`);
  const parsed = JSON.parse(line) as Report;
  const position = /([\w.-]+\.[jt]s):(\d+):(\d+)\)?$/.exec(parsed.thrownAt);
  return { ...parsed, thrownAt: position ? position.slice(1).join(':') : parsed.thrownAt };
}

/** Every file under `out/`, by name: its bytes and modification time. */
function outputs(dir: string): Map<string, { text: string; modified: number }> {
  const out = join(dir, 'out');
  return new Map(readdirSync(out).map((name) => [name, { text: readFileSync(join(out, name), 'utf8'), modified: statSync(join(out, name)).mtimeMs }]));
}

/** The span names of the runtime calls in an emitted file, sorted: empty when it is not woven. */
const traced = (file: string): string[] => [...readFileSync(file, 'utf8').matchAll(/\bspanweave\w*\.run\w*\("([^"]+)"/g)].map((m) => m[1]!).sort();

const SPANS = ['cart.total<checkout', 'checkout<', 'fail<', 'label<checkout'];
const OVERLOAD_WARNING = /^src\/parse\.ts\(4,5\): warning TS95005: spanweave: tsc leaves this comment out of the JavaScript, .*Put the tag on the implementation/m;

// Each test runs two to four compiler processes, side by side with the others on a shared machine.
describe.concurrent('spanweave build', { timeout: 180_000 }, () => {
  it('TypeScript 7: tsc emits, spanweave weaves; the spans and the throw position of the TypeScript 5.9 path', async () => {
    const [ts7, ts5] = [copyFixture('ts7'), copyFixture('ts5')];
    const [run7, run5] = await Promise.all([build(ts7, ['--verbose']), build(ts5, ['--verbose'], 'project')]);
    expect(run7.status, output(run7)).toBe(0);
    expect(run5.status, output(run5)).toBe(0);
    expect(run7.stderr).toContain('TypeScript 7.0.2');
    expect(run7.stderr).toContain('running its tsc, then weaving the JavaScript it emits');
    // Its native executable, as the package's bin script finds it, without a Node process in between.
    expect(run7.stderr).toMatch(/tsc runs as: \S+\/@typescript\/typescript-linux-x64\/lib\/tsc\n/);
    expect(run5.stderr).toContain('TypeScript 5.9.3');
    expect(run5.stderr).toContain('with the spanweave transformer (no ts-patch)');

    const [report7, report5] = await Promise.all([report(ts7), report(ts5)]);
    expect(report7.result).toBe('paid 7');
    expect(report7.spans.map((s) => `${s.name}<${s.parent ?? ''}`)).toEqual(SPANS);
    expect(report7.spans.find((s) => s.name === 'checkout')?.attributes).toEqual({ 'cart.size': 2 });
    expect(report7.spans.find((s) => s.name === 'fail')?.status).toBe(2);
    expect(report7.traces).toBe(2);
    expect(report7.thrownAt).toBe(`shop.ts:${throwLine}:9`);
    expect(report7).toEqual(report5);
  });

  it('TypeScript 7 whose executable spanweave cannot find (another package layout): its bin script runs it, with the same result', async () => {
    const dir = copyFixture('layout');
    // The package with its lookup moved: the bin script still finds it through the package's imports.
    const typescript = join(dir, 'typescript-moved');
    cpSync(typescript7, typescript, { recursive: true });
    renameSync(join(typescript, 'lib/getExePath.js'), join(typescript, 'lib/exe-path.js'));
    const manifest = JSON.parse(readFileSync(join(typescript, 'package.json'), 'utf8')) as { imports: Record<string, unknown> };
    manifest.imports['#getExePath'] = './lib/exe-path.js';
    writeFileSync(join(typescript, 'package.json'), JSON.stringify(manifest));
    const run = await runAsync(process.execPath, [cli, 'build', '--typescript', typescript, '--verbose'], { cwd: dir });
    expect(run.status, output(run)).toBe(0);
    expect(run.stderr).toContain(`tsc runs as: ${process.execPath} ${join(typescript, 'bin/tsc')}\n`);
    const found = await report(dir);
    expect(found.spans.map((s) => `${s.name}<${s.parent ?? ''}`)).toEqual(SPANS);
    expect(found.thrownAt).toBe(`shop.ts:${throwLine}:9`);
  });

  it('TypeScript 7 without spanweave (plain tsc): no spans, so the comparison above cannot pass by accident', async () => {
    const dir = copyFixture('plain');
    const run = await runAsync(process.execPath, [tsc7, '-p', '.'], { cwd: dir });
    expect(run.status, output(run)).toBe(0);
    expect((await report(dir)).spans).toEqual([]);
  });

  it("the chained map is tsc's own, moved: every word of tsc's emit maps where tsc's map puts it, wherever the weave moved it on its line", async () => {
    const [dir, plain] = [copyFixture('map-moved'), copyFixture('map-moved-plain')];
    // Bodies on their tag's line: the weave writes before their words.
    const oneLiners =
      '/** @traced */\nexport const scaled = (price: number, rate: number): number => Math.round(price * rate) + Math.max(price, rate);\n' +
      '/** @traced */\nexport function joined(items: string[]): string { return items.map((item) => item.trim()).join(","); }\n';
    for (const copy of [dir, plain]) writeFileSync(join(copy, 'src/one-liners.ts'), oneLiners);
    const [run, plainRun] = await Promise.all([build(dir), runAsync(process.execPath, [tsc7, '-p', '.'], { cwd: plain })]);
    expect(run.status, output(run)).toBe(0);
    expect(plainRun.status, output(plainRun)).toBe(0);
    /** The columns of each word of a line. */
    const words = (text: string): Map<string, number[]> => {
      const found = new Map<string, number[]>();
      for (const match of text.matchAll(/[A-Za-z_$][\w$]*/g)) found.set(match[0], [...(found.get(match[0]) ?? []), match.index]);
      return found;
    };
    let compared = 0;
    for (const name of readdirSync(join(plain, 'out')).filter((file) => file.endsWith('.js'))) {
      const [woven, emitted] = [join(dir, 'out', name), join(plain, 'out', name)].map((file) => ({ lines: readFileSync(file, 'utf8').split('\n'), map: new TraceMap(readFileSync(`${file}.map`, 'utf8')) }));
      emitted!.lines.forEach((text, line) => {
        const position = (map: TraceMap, column: number) => originalPositionFor(map, { line: line + 1, column });
        // The n-th occurrence of a word on a line of tsc's emit is its n-th on the woven line, unless the weave wrote that word too.
        const after = words(woven!.lines[line]!);
        for (const [word, columns] of words(text)) {
          if (after.get(word)?.length !== columns.length) continue;
          columns.forEach((column, index) => {
            expect(position(woven!.map, after.get(word)![index]!), `${name}:${line + 1} ${word}`).toEqual(position(emitted!.map, column));
            compared++;
          });
        }
      });
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('the map comment stays right: an inline source map is chained too', async () => {
    const dir = copyFixture('inline');
    const run = await build(dir, ['--sourceMap', 'false', '--inlineSourceMap']);
    expect(run.status, output(run)).toBe(0);
    expect(readdirSync(join(dir, 'out')).filter((name) => name.endsWith('.map'))).toEqual([]);
    expect(readFileSync(join(dir, 'out/shop.js'), 'utf8')).toMatch(/\n\/\/# sourceMappingURL=data:application\/json;base64,[\w+/=]+$/);
    expect((await report(dir)).thrownAt).toBe(`shop.ts:${throwLine}:9`);
  });

  it('without source maps: none is made or written, the spans are the same, and the throw stays on the line plain tsc emits it on', async () => {
    const [dir, plain] = [copyFixture('no-maps'), copyFixture('no-maps-plain')];
    const [run, plainRun] = await Promise.all([build(dir, ['--sourceMap', 'false']), runAsync(process.execPath, [tsc7, '-p', '.', '--sourceMap', 'false'], { cwd: plain })]);
    expect(run.status, output(run)).toBe(0);
    expect(plainRun.status, output(plainRun)).toBe(0);
    expect(readdirSync(join(dir, 'out')).filter((name) => name.endsWith('.map'))).toEqual([]);
    const woven = readFileSync(join(dir, 'out/shop.js'), 'utf8');
    expect(woven).not.toContain('sourceMappingURL');
    const plainLine = throwLineIn(readFileSync(join(plain, 'out/shop.js'), 'utf8'));
    const found = await report(dir);
    expect(found.spans.map((s) => `${s.name}<${s.parent ?? ''}`)).toEqual(SPANS);
    expect(found.thrownAt).toMatch(new RegExp(`^shop\\.js:${plainLine}:`));
    expect(throwLineIn(woven)).toBe(plainLine);
  });

  it('a second build changes no byte; after an edit only the files tsc emitted again are woven again', async () => {
    const dir = copyFixture('again');
    expect((await build(dir)).status).toBe(0);
    const first = outputs(dir);
    expect(traced(join(dir, 'out/shop.js'))).toEqual(['cart.total', 'checkout', 'fail']);

    const second = await build(dir, ['--verbose']);
    expect(second.status, output(second)).toBe(0);
    expect(outputs(dir)).toEqual(first);

    // shop.ts is imported by no other file: tsc emits it alone.
    writeFileSync(join(dir, 'src/shop.ts'), `${readFileSync(join(dir, 'src/shop.ts'), 'utf8')}\n/** @traced */\nexport function refund(): string {\n  return 'refunded';\n}\n`);
    const third = await build(dir, ['--verbose']);
    expect(third.status, output(third)).toBe(0);
    expect(third.stderr).toContain('wove 1 of the 1 JavaScript files tsc emitted: out/shop.js\n');
    const after = outputs(dir);
    for (const name of ['label.js', 'label.js.map', 'parse.js', 'parse.js.map']) expect(after.get(name), name).toEqual(first.get(name));
    expect(traced(join(dir, 'out/shop.js'))).toEqual(['cart.total', 'checkout', 'fail', 'refund']);
    expect((await report(dir)).thrownAt).toBe(`shop.ts:${throwLine}:9`);
  });

  it('outputs that plain tsc wrote into an incremental build are woven: its .tsbuildinfo is not trusted', async () => {
    const dir = copyFixture('after-tsc');
    expect((await runAsync(process.execPath, [tsc7, '-p', '.'], { cwd: dir })).status).toBe(0);
    const run = await build(dir, ['--verbose']);
    expect(run.status, output(run)).toBe(0);
    expect(run.stderr).toContain('tsconfig.tsbuildinfo is not from a `spanweave build`');
    expect((await report(dir)).spans.map((s) => s.name)).toEqual(['cart.total', 'checkout', 'fail', 'label']);
  });

  it('a tag on an overload signature, which tsc drops, is reported at the tag with the fix, in every build', async () => {
    const dir = copyFixture('overload');
    const first = await build(dir);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(OVERLOAD_WARNING);
    expect(first.stderr).toBe(''); // the path taken is said only with --verbose
    expect(traced(join(dir, 'out/parse.js'))).toEqual([]);
    // Nothing is emitted again, and the warning is still there, as tsc repeats its own diagnostics.
    expect((await build(dir)).stdout).toMatch(OVERLOAD_WARNING);
  });

  it.each(['ts7', 'project'] as const)('%s: class fields tsc lowers for targets before ES2022 are traced under the names the fields have', async (typescript) => {
    const dir = copyFixture(`fields-${typescript}`);
    writeFileSync(join(dir, 'src/fields.ts'), 'export class Fields {\n  /** @traced */\n  handle = (n: number) => n + 1;\n  /** @traced */\n  #secret = () => 5;\n  reveal() { return this.#secret(); }\n}\n');
    const run = await build(dir, ['--target', 'es2020'], typescript);
    expect(run.status, output(run)).toBe(0);
    const emitted = readFileSync(join(dir, 'out/fields.js'), 'utf8');
    expect(emitted).toContain('_Fields_secret.set(this, ');
    expect(traced(join(dir, 'out/fields.js'))).toEqual(['Fields.#secret', 'Fields.handle']);
  });

  it('a tag between export and the declaration, which tsc drops from CommonJS, is reported with its own fix', async () => {
    const dir = copyFixture('after-export');
    writeFileSync(join(dir, 'src/after-export.ts'), 'export /** @traced */ function later(): number {\n  return 1;\n}\n');
    const run = await build(dir);
    expect(run.status, output(run)).toBe(0);
    expect(run.stdout).toMatch(/^src\/after-export\.ts\(1,12\): warning TS95005: spanweave: tsc leaves a comment between `export` and the declaration out of CommonJS output, .*Put the tag before `export`\.$/m);
  });

  it.each(['ts7', 'project'] as const)('%s: a malformed tag is an error at its place in the .ts source, exit status 1, until fixed', async (typescript) => {
    const dir = copyFixture(`bad-tag-${typescript}`);
    const label = join(dir, 'src/label.ts');
    const tagged = readFileSync(label, 'utf8');
    writeFileSync(label, tagged.replace('/** @traced */', '/** @traced grpc.sever */'));
    const run = await build(dir, [], typescript);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^src\/label\.ts\(1,13\): error TS95001: spanweave: Unknown @traced option 'grpc\.sever'\. Did you mean 'grpc\.server'\?/m);
    // The next build emits nothing and reports it again.
    const again = await build(dir, [], typescript);
    expect(again.status).toBe(1);
    expect(again.stdout).toContain("src/label.ts(1,13): error TS95001: spanweave: Unknown @traced option 'grpc.sever'.");
    writeFileSync(label, tagged);
    const fixed = await build(dir, [], typescript);
    expect(fixed.status, output(fixed)).toBe(0);
    expect(traced(join(dir, 'out/label.js'))).toEqual(['label']);
  });

  it('a tag on exported values that are not functions: the same errors at the same .ts places on both paths (CommonJS emits them as exports.x), in source order', async () => {
    const [ts7, ts5] = [copyFixture('not-functions-ts7'), copyFixture('not-functions-ts5')];
    const overload = '/** @traced */\nexport function pick(a: string): string;\nexport function pick(a: string): string {\n  return a;\n}\n';
    const source = `export const a = 1;\n\n/** @traced */\nexport const value = 5;\n\n/**\n * Docs.\n * @traced name=x\n */\nexport let other = 6;\n${overload}`;
    for (const dir of [ts7, ts5]) writeFileSync(join(dir, 'src/values.ts'), source);
    const [run7, run5] = await Promise.all([build(ts7), build(ts5, [], 'project')]);
    expect(run7.status).toBe(1);
    const valuesLines = (text: string): string[] => text.split('\n').filter((line) => line.startsWith('src/values.ts'));
    // The overload's tag, which tsc drops (reported on this path only), after the two above it.
    expect(valuesLines(run7.stdout).map((line) => line.slice(0, line.indexOf(':')))).toEqual(['src/values.ts(3,5)', 'src/values.ts(8,4)', 'src/values.ts(11,5)']);
    expect(valuesLines(run7.stdout).filter((line) => line.includes('TS95002'))).toEqual(valuesLines(run5.stdout));
  });

  it.each(['ts7', 'project'] as const)('%s: --listEmittedFiles lists what tsc wrote, as tsc does', async (typescript) => {
    const dir = copyFixture(`list-${typescript}`);
    const run = await build(dir, ['--listEmittedFiles'], typescript);
    expect(run.status, output(run)).toBe(0);
    expect(run.stdout).toContain(`TSFILE: ${join(dir, 'out/label.js')}\n`);
    expect(run.stdout).toContain(`TSFILE: ${join(dir, 'out/shop.js.map')}\n`);
  });

  it('type errors: tsc still emits, and what it emits is woven; tsc\'s exit status', async () => {
    const dir = copyFixture('type-error');
    writeFileSync(join(dir, 'src/label.ts'), `${readFileSync(join(dir, 'src/label.ts'), 'utf8')}\nexport const count: number = 'one';\n`);
    const run = await build(dir);
    expect(run.status).toBe(2);
    expect(run.stdout).toMatch(/^src\/label\.ts\(\d+,\d+\): error TS2322: /m);
    expect(traced(join(dir, 'out/label.js'))).toEqual(['label']);
  });

  it('refuses removeComments, which leaves no tag in the JavaScript', async () => {
    const dir = copyFixture('remove-comments');
    const run = await build(dir, ['--removeComments']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('sets removeComments, so tsc\'s JavaScript has no tags left to weave');
    expect(readdirSync(dir)).not.toContain('out');
  });

  it.each(['ts7', 'project'] as const)('%s: the tsconfig entry\'s awaitContext reaches the weave, as it does tspc', async (typescript) => {
    const dir = copyFixture(`await-context-${typescript}`);
    const checkout = () => readFileSync(join(dir, 'out/shop.js'), 'utf8');
    expect((await build(dir, [], typescript)).status).toBe(0);
    expect(checkout()).not.toContain('.resuming(');
    const tsconfig = join(dir, 'tsconfig.json');
    writeFileSync(tsconfig, readFileSync(tsconfig, 'utf8').replace('{ "transform": "spanweave/transformer" }', '{ "transform": "spanweave/transformer", "awaitContext": true }'));
    const run = await build(dir, ['--incremental', 'false'], typescript);
    expect(run.status, output(run)).toBe(0);
    expect(checkout()).toContain('.resuming(');
    expect((await report(dir)).spans.map((s) => `${s.name}<${s.parent ?? ''}`)).toEqual(SPANS);
  });

  it('ES module output gets the runtime as an import', async () => {
    const dir = copyFixture('esm');
    const run = await build(dir, ['--module', 'esnext', '--moduleResolution', 'bundler']);
    expect(run.status, output(run)).toBe(0);
    const label = readFileSync(join(dir, 'out/label.js'), 'utf8');
    expect(label).toMatch(/^import \* as spanweave_1 from "spanweave\/runtime";/);
    expect(label).not.toContain('require(');
  });

  it.each(['ts7', 'project'] as const)('%s: jsx preserve: the .jsx tsc emits is woven', async (typescript) => {
    const dir = copyFixture(`jsx-${typescript}`);
    const jsxTypes = 'declare global {\n  namespace JSX {\n    interface IntrinsicElements { [name: string]: unknown }\n  }\n}\n';
    writeFileSync(join(dir, 'src/view.tsx'), `${jsxTypes}/** @traced */\nexport function render(name: string): unknown {\n  return <b>{name}</b>;\n}\n`);
    const run = await build(dir, ['--jsx', 'preserve'], typescript);
    expect(run.status, output(run)).toBe(0);
    expect(traced(join(dir, 'out/view.jsx'))).toEqual(['render']);
  });

  // The spanweave entry (traceAll) in the base a project's tsconfig extends, as tsc finds the base.
  const OWN_OPTIONS = '"target": "ES2022", "module": "commonjs", "strict": true, "types": [], "rootDir": "src", "outDir": "out"';
  const ENTRY = '{ "compilerOptions": { "plugins": [{ "transform": "spanweave/transformer", "traceAll": ["src/extra.ts"] }] } }\n';
  const BASES: Record<string, Record<string, string>> = {
    'from a package': {
      'node_modules/@acme/tsconfig/package.json': '{ "name": "@acme/tsconfig", "version": "1.0.0" }\n',
      'node_modules/@acme/tsconfig/base.json': ENTRY,
      'tsconfig.json': `{ "extends": "@acme/tsconfig/base.json", "compilerOptions": { ${OWN_OPTIONS} }, "include": ["src"] }\n`,
    },
    'named with its extension (.jsonc)': {
      'tsconfig.base.jsonc': ENTRY,
      'tsconfig.json': `{ "extends": "./tsconfig.base.jsonc", "compilerOptions": { ${OWN_OPTIONS} }, "include": ["src"] }\n`,
    },
  };

  it.each((['ts7', 'project'] as const).flatMap((typescript) => Object.keys(BASES).map((base) => [typescript, base] as const)))('%s: the spanweave entry of a tsconfig base %s applies', async (typescript, base) => {
    const dir = copyFixture(`base-${typescript}-${base.split(' ')[0]}`);
    for (const [file, text] of Object.entries({ ...BASES[base], 'src/extra.ts': 'export function extra(): number {\n  return 1;\n}\n' })) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    const run = await build(dir, [], typescript);
    expect(run.status, output(run)).toBe(0);
    expect(traced(join(dir, 'out/extra.js'))).toEqual(['extra']);
  });

  it('a tsconfig tsc reads past a syntax error in: tsc reports it and emits, and the tags are woven', async () => {
    const dir = copyFixture('tsconfig-syntax');
    writeFileSync(join(dir, 'tsconfig.json'), '{ "compilerOptions": { "target": "ES2022", "module": "commonjs", "types": [], "rootDir": "src", "outDir": "out" ,, }, "include": ["src"] }\n');
    const run = await build(dir);
    expect(run.status, output(run)).toBe(2);
    expect(run.stdout).toMatch(/tsconfig\.json\(1,\d+\): error TS1136/);
    expect(run.stderr).toContain('building without its spanweave entry');
    expect(traced(join(dir, 'out/label.js'))).toEqual(['label']);
  });

  it('-P (tsc reads its options in any case) names the project spanweave reads too', async () => {
    const dir = copyFixture('upper-p');
    const tsconfig = join(dir, 'tsconfig.json');
    writeFileSync(tsconfig, readFileSync(tsconfig, 'utf8').replace('{ "transform": "spanweave/transformer" }', '{ "transform": "spanweave/transformer", "awaitContext": true }'));
    const run = await runAsync(process.execPath, [cli, 'build', '--typescript', typescript7, '-P', dir], { cwd: repoRoot });
    expect(run.status, output(run)).toBe(0);
    expect(readFileSync(join(dir, 'out/shop.js'), 'utf8')).toContain('.resuming(');
  });

  it('mapRoot: the map tsc wrote beside the file is chained, its comment left pointing at mapRoot', async () => {
    const dir = copyFixture('map-root');
    // The throw on the line the weave adds to: without the chained map its column is off by what the weave inserted.
    const source = "/** @traced */\nexport function boom(): never { throw new Error('boom'); }\n";
    writeFileSync(join(dir, 'src/boom.ts'), source);
    const run = await build(dir, ['--mapRoot', 'https://cdn.example.com/maps/']);
    expect(run.status, output(run)).toBe(0);
    const woven = readFileSync(join(dir, 'out/boom.js'), 'utf8');
    expect(woven).toMatch(/\n\/\/# sourceMappingURL=https:\/\/cdn\.example\.com\/maps\/boom\.js\.map$/);
    const wovenLine = woven.split('\n').findIndex((line) => line.includes('new Error'));
    const map = new TraceMap(readFileSync(join(dir, 'out/boom.js.map'), 'utf8'));
    const at = originalPositionFor(map, { line: wovenLine + 1, column: woven.split('\n')[wovenLine]!.indexOf('new Error') });
    expect(at).toMatchObject({ line: 2, column: source.split('\n')[1]!.indexOf('new Error') });
  });

  it('tsc\'s --version runs tsc alone; file names on the command line and a folder that is not TypeScript are refused with a message', async () => {
    const dir = copyFixture('tsc-only');
    const version = await build(dir, ['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout).toBe('Version 7.0.2\n');
    expect(readdirSync(dir)).not.toContain('out');
    const files = await build(dir, ['src/label.ts'], 'project');
    expect(files.status).toBe(1);
    expect(files.stderr).toContain('builds a project, not files named on the command line (src/label.ts)');
    const notTypeScript = await runAsync(process.execPath, [cli, 'build', '--typescript', repoRoot], { cwd: dir });
    expect(notTypeScript.status).toBe(1);
    expect(notTypeScript.stderr).toBe(`spanweave: ${repoRoot} is not a TypeScript package (its package.json names no tsc); give the folder of one, such as node_modules/typescript.\n`);
  });

  it('emitBOM: the byte order mark stays the first character, before the runtime\'s import', async () => {
    const dir = copyFixture('bom');
    const run = await build(dir, ['--emitBOM', '--module', 'esnext', '--moduleResolution', 'bundler']);
    expect(run.status, output(run)).toBe(0);
    expect(readFileSync(join(dir, 'out/label.js'), 'utf8')).toMatch(/^\uFEFFimport \* as spanweave_1 from "spanweave\/runtime";/);
  });
});

it('watching, a source saved again after tsc emitted it (an editor writing in two steps) is not reported as dropping its tags: the next rebuild reads it', () => {
  const { weaveEmittedFile } = require(join(repoRoot, 'dist/transformer/cli/weave-emitted.js')) as typeof import('../transformer/cli/weave-emitted.js');
  const dir = freshDir('cli-mid-save');
  const [source, emitted] = [join(dir, 'a.ts'), join(dir, 'a.js')];
  // tsc compiled the file while it was still empty; the tag arrived after.
  writeFileSync(emitted, '"use strict";\n');
  writeFileSync(source, '/** @traced */\nexport function f(): number {\n  return 1;\n}\n');
  const later = new Date(Date.now() + 2_000);
  utimesSync(source, later, later);
  const project = { configFile: join(dir, 'tsconfig.json'), module: 'commonjs', removeComments: false, buildInfoFile: undefined, sourceOf: () => source };
  const settings = { tracesAll: () => false, awaitContext: false };
  expect(weaveEmittedFile(emitted, project, settings, true).diagnostics).toEqual([]);
  // Not watching, the same files are a tag tsc dropped.
  expect(weaveEmittedFile(emitted, project, settings, false).diagnostics.map((d) => d.code)).toEqual([95005]);
});

describe.concurrent('spanweave build --watch', { timeout: 180_000 }, () => {
  /** Starts the command and returns a way to wait for a condition on the project, and to stop it. */
  function watch(dir: string, typescript: 'ts7' | 'project') {
    const choice = typescript === 'ts7' ? ['--typescript', typescript7] : [];
    const watcher = spawn(process.execPath, [cli, 'build', ...choice, '--watch', '--preserveWatchOutput', '--pretty', 'false'], { cwd: dir });
    let text = '';
    watcher.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    watcher.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => watcher.on('close', resolve));
    return {
      async until(condition: () => boolean, what: string): Promise<void> {
        const deadline = Date.now() + 90_000;
        while (!condition()) {
          if (Date.now() > deadline || watcher.exitCode !== null) throw new Error(`${what}: not seen\n${text}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      },
      /** Sends SIGTERM; resolves with the exit status. */
      async stop(): Promise<number | null> {
        watcher.kill('SIGTERM');
        return exited;
      },
    };
  }

  const labelFile = (dir: string): string => {
    try {
      return readFileSync(join(dir, 'out/label.js'), 'utf8');
    } catch {
      return '';
    }
  };

  // The rebuild that writes the woven label.js goes on to write shop.js: SIGTERM must wait for it.
  it.each(['ts7', 'project'] as const)('%s: an edit is rebuilt and woven, and SIGTERM stops it between rebuilds', async (typescript) => {
    const dir = copyFixture(`watch-${typescript}`);
    const watcher = watch(dir, typescript);
    let status: number | null = null;
    try {
      await watcher.until(() => labelFile(dir).includes('spanweave_1.run("label"'), 'the first build, woven');
      writeFileSync(join(dir, 'src/label.ts'), readFileSync(join(dir, 'src/label.ts'), 'utf8').replace('`paid ${total}`', '`paid ${total} (watched)`'));
      await watcher.until(() => labelFile(dir).includes('(watched)'), 'the rebuild');
      await watcher.until(() => labelFile(dir).includes('spanweave_1.run("label"'), 'the rebuild, woven');
    } finally {
      status = await watcher.stop();
    }
    expect(status).toBe(143);
    expect(traced(join(dir, 'out/label.js'))).toEqual(['label']);
    expect((await report(dir)).result).toBe('paid 7 (watched)');
  });
});
