/**
 * One test per output format (issue 6): fixtures/formats compiles one tagged source set to
 * CommonJS and ES modules (`module` commonjs, node16, nodenext, esnext), `target` ES2019 to
 * ESNext, from `.ts`, `.mts`, `.cts`, `.tsx` and checked JavaScript. All formats are built by one
 * `tspc -b` of the solution fixtures/formats/tsconfig.json, and once more by plain `tsc -b`
 * (which ignores plugins). Each build runs in one Node process (fixtures/formats/run.mjs, every
 * format in turn), the traced one with a real SDK; every format must give the same spans, and
 * the same return value as its untraced twin.
 */
import { copyFileSync, cpSync, existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSolution } from './helpers/compile.js';
import { childSdk, recordTree, reported, runNodeAsync, type NodeRun, type SpanRecord } from './helpers/load-child.js';
import { fixturesDir, freshDir } from './helpers/paths.js';
import { api } from './helpers/sdk.js';

const fixture = join(fixturesDir, 'formats');

interface Format {
  /** The test's name. */
  readonly name: string;
  /** tsconfig.<config>.json, which builds into out/<config>/. */
  readonly config: string;
  /** The emitted source set, relative to out/<config>/. */
  readonly file: string;
  readonly output: 'esm' | 'cjs';
}

const FORMATS: readonly Format[] = [
  { name: 'module commonjs: .ts', config: 'commonjs-ts', file: 'commonjs/shop.js', output: 'cjs' },
  { name: 'module commonjs: .cts', config: 'commonjs-cts', file: 'module/shop.cjs', output: 'cjs' },
  ...(['node16', 'nodenext'] as const).flatMap((module): Format[] => [
    { name: `module ${module}: .mts under type commonjs`, config: `${module}-mts`, file: 'commonjs/shop.mjs', output: 'esm' },
    { name: `module ${module}: .cts under type module`, config: `${module}-cts`, file: 'module/shop.cjs', output: 'cjs' },
    { name: `module ${module}: .ts under type module`, config: `${module}-ts-module`, file: 'module/shop.js', output: 'esm' },
    { name: `module ${module}: .ts under type commonjs`, config: `${module}-ts-commonjs`, file: 'commonjs/shop.js', output: 'cjs' },
  ]),
  { name: 'module esnext: .ts', config: 'esnext-ts', file: 'module/shop.js', output: 'esm' },
  { name: 'target ES2019, module commonjs', config: 'es2019-commonjs', file: 'commonjs/shop.js', output: 'cjs' },
  { name: 'target ES2019, module esnext', config: 'es2019-esnext', file: 'module/shop.js', output: 'esm' },
  { name: 'target ES2020, module commonjs', config: 'es2020-commonjs', file: 'commonjs/shop.js', output: 'cjs' },
  { name: 'target ESNext, module commonjs', config: 'esnext-commonjs', file: 'commonjs/shop.js', output: 'cjs' },
  { name: '.tsx, jsxFactory h', config: 'tsx', file: 'tsx/shop.js', output: 'cjs' },
  { name: '.js, allowJs + checkJs', config: 'js', file: 'js/shop.js', output: 'cjs' },
];

/** What main() returns in every format, traced or not. */
const RESULT = ['BOOK,PEN <p class="total">7</p>', 2, 1, 'out of stock'];
const TREE = ['main', '  order', '    labels', '    Cart.total', '    receipt', '  countdown', '  refuse'].join('\n');
const ATTRIBUTES: Record<string, Record<string, unknown>> = { order: { 'order.lines': 2 } };
const ERRORS: Record<string, string> = { refuse: 'out of stock' };

interface Runs {
  /** The traced build, run with an SDK: main()'s results and every span. */
  readonly traced: { readonly run: NodeRun; readonly results: Record<string, unknown>; readonly spans: readonly SpanRecord[] };
  /** The untraced build, run without one. */
  readonly plain: { readonly run: NodeRun; readonly results: Record<string, unknown> };
}

let traced: string;
let plain: string;
let builds: Record<'traced' | 'plain', { output: string; exitCode: number }>;
let runs: Runs;

/** The other names of src/commonjs/shop.ts: the same source as ES module, and in a `type: module` package. */
const COPIES = ['src/commonjs/shop.mts', 'src/module/shop.ts', 'src/module/shop.cts'];

/**
 * A copy of the fixture to build in (under the repo, so that `spanweave/runtime` resolves), with
 * the one source also under each name that makes it another format.
 */
function copyOfFixture(label: string): string {
  const dir = freshDir(label);
  cpSync(fixture, dir, { recursive: true, filter: (path) => basename(path) !== 'out' });
  for (const copy of COPIES) copyFileSync(join(fixture, 'src/commonjs/shop.ts'), join(dir, copy));
  return dir;
}

/**
 * Node reads a `.js` file's format from the nearest package.json, as TypeScript did for its
 * source: each output directory gets its source directory's package.json.
 */
function copyPackageJsons(dir: string): void {
  for (const { config, file } of FORMATS) {
    const packageJson = join(dir, 'src', dirname(file), 'package.json');
    if (existsSync(packageJson)) copyFileSync(packageJson, join(dir, 'out', config, dirname(file), 'package.json'));
  }
}

/** fixtures/formats/run.mjs over every format of a build, in one process. */
function runFormats(dir: string, preload: readonly string[]): Promise<NodeRun> {
  return runNodeAsync([...preload, join(dir, 'run.mjs'), ...FORMATS.map(({ config, file }) => `${config}=${join(dir, 'out', config, file)}`)]);
}

beforeAll(async () => {
  traced = copyOfFixture('formats-tspc');
  plain = copyOfFixture('formats-tsc');
  const [tspc, tsc] = await Promise.all([buildSolution('tspc', join(traced, 'tsconfig.json')), buildSolution('tsc', join(plain, 'tsconfig.json'))]);
  builds = { traced: tspc, plain: tsc };
  copyPackageJsons(traced);
  copyPackageJsons(plain);
  const [tracedRun, plainRun] = await Promise.all([runFormats(traced, ['--import', childSdk]), runFormats(plain, [])]);
  runs = {
    traced: { run: tracedRun, results: reported(tracedRun, 'results'), spans: reported(tracedRun, 'spans') },
    plain: { run: plainRun, results: reported(plainRun, 'results') },
  };
});

describe('fixtures/formats', () => {
  it('tspc and tsc build every format without diagnostics', () => {
    expect(builds.traced).toEqual({ output: '', exitCode: 0 });
    expect(builds.plain).toEqual({ output: '', exitCode: 0 });
  });

  it('both builds run to the end with nothing on stderr', () => {
    for (const { run } of [runs.traced, runs.plain]) {
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    }
  });
});

describe('every output format gives the same spans', () => {
  it.for(FORMATS)('$name', ({ config, file, output }) => {
    const js = readFileSync(join(traced, 'out', config, file), 'utf8');
    expect(js.match(/spanweave\/runtime/g), 'one runtime import').toHaveLength(1);
    if (output === 'esm') {
      expect(js).toMatch(/^import \* as spanweave\w* from "spanweave\/runtime";$/m);
      expect(js).not.toMatch(/\brequire\(/);
    } else {
      expect(js).toMatch(/^const spanweave\w* = (?:__importStar\()?require\("spanweave\/runtime"\)\)?;$/m);
      expect(js).not.toMatch(/^import /m);
    }

    expect(runs.traced.results[config]).toEqual(RESULT);
    // run.mjs ran this format's main() under a span named after it.
    const wrapper = runs.traced.spans.find((s) => s.name === config);
    if (wrapper === undefined) throw new Error(`run.mjs made no span for ${config}`);
    const spans = runs.traced.spans.filter((s) => s.traceId === wrapper.traceId && s !== wrapper);
    expect(recordTree(spans)).toBe(TREE);
    expect(spans.find((s) => s.name === 'main')?.parentSpanId, "main continues the caller's context").toBe(wrapper.spanId);
    for (const span of spans) {
      expect(span.kind, span.name).toBe(api.SpanKind.INTERNAL);
      expect(span.attributes, span.name).toEqual(ATTRIBUTES[span.name] ?? {});
      const error = ERRORS[span.name];
      expect(span.status, span.name).toEqual(error === undefined ? { code: api.SpanStatusCode.UNSET } : { code: api.SpanStatusCode.ERROR, message: error });
    }

    // The untraced twin: plain tsc left the tags alone, and the program behaves the same.
    expect(readFileSync(join(plain, 'out', config, file), 'utf8')).not.toContain('spanweave/runtime');
    expect(runs.plain.results[config]).toEqual(RESULT);
  });
});
