/**
 * Every way the transformer is loaded gives the same result: tspc from tsconfig, `program.emit`
 * with the transformer in `before` (with a type checker), and `ts.transpileModule` (no program).
 * Also what the plugin must leave alone (declarations, files without tags), idempotence (the
 * plugin listed twice, emitted JavaScript compiled again), the runtime import (once per file,
 * no clash with user names, after prologues, `require` in a CommonJS script, `import` in ESM run
 * under Node), and the error when loaded into an unsupported TypeScript.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ts from 'typescript';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compileWithProgram, compileWithTranspileModule, compileWithTsc, compileWithTspc, emittedFiles, spanweave, typescript, type Build } from './helpers/compile.js';
import { childSdk, recordOf, recordTree, reported, runNode, type SpanRecord } from './helpers/load-child.js';
import { emitWithProgram, projectOfEmittedJs } from './helpers/load-compile.js';
import { fixturesDir } from './helpers/paths.js';
import { api, installSdk, spanTree, type TestSdk } from './helpers/sdk.js';

type App = typeof import('../fixtures/loading/cjs/src/app.js');
type Names = typeof import('../fixtures/loading/cjs/src/names.js');

const cjsProject = join(fixturesDir, 'loading/cjs');
const esmProject = join(fixturesDir, 'loading/esm');
const firstLineProject = join(fixturesDir, 'loading/first-line');

/** The spans of `placeOrder('o-1', ['book', 'pen'])`, in both fixtures. */
const APP_TREE = ['placeOrder', '  sum', '  Stock.reserve', '    Stock.check', '    Stock.check', '  audit.lines', '  format'].join('\n');
const APP_ATTRIBUTES: Record<string, Record<string, unknown>> = {
  placeOrder: { 'order.id': 'o-1', 'order.lines': 2 },
  sum: {},
  'Stock.reserve': {},
  'Stock.check': {},
  'audit.lines': {},
  format: { value: 9 },
};
/** The span name of each traced function in app.ts: one runtime call each in the output. */
const APP_RUNTIME_CALLS = ['Stock.check', 'Stock.reserve', 'audit.lines', 'format', 'placeOrder', 'sum'];

const LOADERS = ['tspc', 'program.emit', 'transpileModule'] as const;
type Loader = (typeof LOADERS)[number];

let loaded: Record<Loader, Build>;
let untraced: Build;
let twiceTspc: Build;
let twiceProgram: Build;
let emittedJsProject: string;
let recompiled: Build;
let esmTraced: Build;
let esmUntraced: Build;
let firstLine: Record<Loader, Build>;
let sdk: TestSdk;

beforeAll(() => {
  loaded = {
    tspc: compileWithTspc(cjsProject),
    'program.emit': compileWithProgram(cjsProject),
    transpileModule: compileWithTranspileModule(cjsProject),
  };
  untraced = compileWithTsc(cjsProject);
  twiceTspc = compileWithTspc(join(cjsProject, 'tsconfig.twice.json'));
  twiceProgram = emitWithProgram(cjsProject, 'program-twice', (program) => [spanweave(program), spanweave(program)]);
  emittedJsProject = projectOfEmittedJs(loaded.tspc);
  recompiled = compileWithTspc(emittedJsProject);
  esmTraced = compileWithTspc(esmProject);
  esmUntraced = compileWithTsc(esmProject);
  firstLine = {
    tspc: compileWithTspc(firstLineProject),
    'program.emit': compileWithProgram(firstLineProject),
    transpileModule: compileWithTranspileModule(firstLineProject),
  };
  sdk = installSdk();
});
beforeEach(() => sdk.reset());
afterAll(() => sdk.uninstall());

/** The span names of the runtime calls in emitted JavaScript, sorted. */
function runtimeCalls(js: string): string[] {
  return [...js.matchAll(/\bspanweave\w*\.(?:run|runAsync|runGenerator|runAsyncGenerator)\("([^"]+)"/g)].map((m) => m[1]!).sort();
}

function read(build: Build, file: string): string {
  return readFileSync(join(build.outDir, file), 'utf8');
}

/** Runs app.ts's placeOrder in a build and checks its spans: names, tree, kinds, attributes. */
async function expectAppSpans(build: Build): Promise<void> {
  const app = build.load<App>('app');
  await expect(app.placeOrder('o-1', ['book', 'pen'])).resolves.toBe('#9');
  const spans = sdk.spans();
  expect(spanTree(spans)).toBe(APP_TREE);
  expect(recordTree(spans.map(recordOf)), 'load-child.ts recordTree agrees with spanTree').toBe(APP_TREE);
  expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  for (const span of spans) {
    expect(span.kind, span.name).toBe(api.SpanKind.INTERNAL);
    expect(span.attributes, span.name).toEqual(APP_ATTRIBUTES[span.name]);
    expect(span.status.code, span.name).toBe(api.SpanStatusCode.UNSET);
  }
}

describe('the same spans whichever way the transformer is loaded', () => {
  for (const loader of LOADERS) {
    describe(loader, () => {
      it('compiles without diagnostics', () => {
        expect(loaded[loader].output).toBe('');
        expect(loaded[loader].exitCode).toBe(0);
      });

      it('app: names, kinds, parent/child tree and attributes', async () => {
        await expectAppSpans(loaded[loader]);
      });

      it('a script (no import or export) compiled to CommonJS requires the runtime and runs, strict as written', () => {
        const script = read(loaded[loader], 'script.js');
        expect(script).toMatch(/^'use strict';\nconst spanweave\w* = require\("spanweave\/runtime"\);\n/);
        expect(script).not.toMatch(/^import /m);
        const global = globalThis as { loadingScriptResult?: unknown };
        delete global.loadingScriptResult;
        loaded[loader].load('script');
        expect(global.loadingScriptResult).toEqual({ strict: true });
        expect(spanTree(sdk.spans())).toBe(['scriptMain', '  scriptIsStrict'].join('\n'));
      });

      it("a function-level 'use strict' stays first in the function and keeps it strict", () => {
        const sloppy = read(loaded[loader], 'sloppy.js');
        expect(sloppy).toMatch(/function strictThis\(\) \{\n {4}"use strict";\n {4}return spanweave\w*\.run\("strictThis", /);
        const global = globalThis as { loadingSloppyResult?: unknown };
        delete global.loadingSloppyResult;
        loaded[loader].load('sloppy');
        expect(global.loadingSloppyResult).toEqual({ sloppy: true, strict: true });
        expect(sdk.spans().map((s) => s.name)).toEqual(['sloppyThis', 'strictThis']);
      });

      it('user bindings named spanweave, spanweave_1, spanweave_2 and spanweave_3 do not collide with the runtime import', () => {
        const names = loaded[loader].load<Names>('names');
        expect(names.readNames()).toBe('mine:42');
        expect(names.shadow(5)).toBe(10);
        expect(spanTree(sdk.spans())).toBe(['readNames', 'shadow'].join('\n'));
        const js = read(loaded[loader], 'names.js');
        const imports = [...js.matchAll(/const (\w+) = require\("spanweave\/runtime"\);/g)].map((m) => m[1]);
        expect(imports).toHaveLength(1);
        expect(['spanweave', 'spanweave_1', 'spanweave_2', 'spanweave_3']).not.toContain(imports[0]);
      });

      it("a traced function that ends by calling the user's own `spanweave.run` is still traced", () => {
        // names.ts: `const spanweave = { label, run }` and `/** @traced */ function delegate() { return spanweave.run('four', () => 3); }`
        const names = loaded[loader].load<Names>('names');
        expect(names.delegate()).toBe(7);
        expect(sdk.spans().map((s) => s.name)).toEqual(['delegate']);
      });

      it('a tag comment at the very start of a file (offset 0) marks the first declaration once', () => {
        // fixtures/loading/first-line/src/first.ts begins with `/** @traced */\nexport function firstThing()`.
        expect(firstLine[loader].output).toBe('');
        expect(firstLine[loader].load<{ firstThing: () => number }>('first').firstThing()).toBe(1);
        expect(sdk.spans().map((s) => s.name)).toEqual(['firstThing']);
      });
    });
  }

  it('program.emit and transpileModule emit the same JavaScript as tspc', () => {
    const reference = emittedFiles(loaded.tspc.outDir, '.js');
    expect([...reference.keys()].sort()).toEqual(['app.js', 'names.js', 'plain.js', 'script.js', 'sloppy.js']);
    for (const loader of ['program.emit', 'transpileModule'] as const) {
      const files = emittedFiles(loaded[loader].outDir, '.js');
      expect([...files.keys()].sort(), loader).toEqual([...reference.keys()].sort());
      for (const [file, text] of reference) expect(files.get(file), `${loader}: ${file}`).toBe(text);
    }
  });
});

describe('what the plugin leaves alone', () => {
  it('compiles without the plugin too', () => {
    expect(untraced.output).toBe('');
    expect(esmUntraced.output).toBe('');
  });

  it('the plugin did rewrite the tagged files (so the comparisons below compare something)', () => {
    expect(read(loaded.tspc, 'app.js')).not.toBe(read(untraced, 'app.js'));
    expect(read(esmTraced, 'app.mjs')).not.toBe(read(esmUntraced, 'app.mjs'));
  });

  it('declarations of a tagged project are byte-identical with and without the plugin', () => {
    for (const [traced, plain, extension, count] of [
      [loaded.tspc, untraced, '.d.ts', 5],
      [esmTraced, esmUntraced, '.d.mts', 2],
    ] as const) {
      const withPlugin = emittedFiles(traced.outDir, extension);
      const withoutPlugin = emittedFiles(plain.outDir, extension);
      expect(withPlugin.size).toBe(count);
      expect([...withPlugin.keys()].sort()).toEqual([...withoutPlugin.keys()].sort());
      for (const [file, text] of withPlugin) expect(text, file).toBe(withoutPlugin.get(file));
    }
    expect(read(loaded.tspc, 'app.d.ts')).toContain('/** @traced attr.order.id=orderId attr.order.lines=lines.length */');
  });

  it('a file with no tags is emitted byte-identical with and without the plugin (JavaScript, source map, declarations)', () => {
    for (const file of ['plain.js', 'plain.js.map', 'plain.d.ts']) {
      expect(read(loaded.tspc, file), file).toBe(read(untraced, file));
    }
    for (const file of ['labels.mjs', 'labels.mjs.map', 'labels.d.mts']) {
      expect(read(esmTraced, file), file).toBe(read(esmUntraced, file));
    }
    expect(read(loaded['program.emit'], 'plain.js')).toBe(read(untraced, 'plain.js'));
    expect(read(loaded.transpileModule, 'plain.js')).toBe(read(untraced, 'plain.js'));
  });
});

describe('idempotence', () => {
  it('the plugin listed twice in tsconfig wraps once: same output as listed once', () => {
    expect(twiceTspc.output).toBe('');
    const once = emittedFiles(loaded.tspc.outDir, '.js');
    const twice = emittedFiles(twiceTspc.outDir, '.js');
    for (const [file, text] of once) expect(twice.get(file), file).toBe(text);
    expect(runtimeCalls(twice.get('app.js')!)).toEqual(APP_RUNTIME_CALLS);
  });

  it('the plugin listed twice in tsconfig: one span per call', async () => {
    await expectAppSpans(twiceTspc);
  });

  it('two transformer instances in program.emit wrap once: same output as one', () => {
    expect(twiceProgram.output).toBe('');
    const once = emittedFiles(loaded['program.emit'].outDir, '.js');
    const twice = emittedFiles(twiceProgram.outDir, '.js');
    for (const [file, text] of once) expect(twice.get(file), file).toBe(text);
  });

  it('two transformer instances in program.emit: one span per call', async () => {
    await expectAppSpans(twiceProgram);
  });

  it('emitted JavaScript (JSDoc tags kept) compiled again with allowJs is not wrapped again', () => {
    expect(recompiled.output).toBe('');
    const source = emittedFiles(join(emittedJsProject, 'src'), '.js');
    const again = emittedFiles(recompiled.outDir, '.js');
    expect(source.get('app.js')).toContain('/** @traced name=audit.lines */');
    expect([...again.keys()].sort()).toEqual([...source.keys()].sort());
    const withoutMapComment = (text: string): string => text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '').trimEnd();
    for (const [file, text] of source) expect(withoutMapComment(again.get(file)!), file).toBe(withoutMapComment(text));
    expect(runtimeCalls(again.get('app.js')!)).toEqual(APP_RUNTIME_CALLS);
    expect(again.get('app.js')!.match(/require\("spanweave\/runtime"\)/g)).toHaveLength(1);
  });

  it('emitted JavaScript compiled again: one span per call', async () => {
    await expectAppSpans(recompiled);
  });
});

describe('the runtime import', () => {
  it('is added once per file that has traced functions, and not to a file without', () => {
    const expected: Record<string, number> = { 'app.js': 1, 'names.js': 1, 'script.js': 1, 'sloppy.js': 1, 'plain.js': 0 };
    for (const [file, text] of emittedFiles(loaded.tspc.outDir, '.js')) {
      expect(text.match(/require\("spanweave\/runtime"\)/g) ?? [], file).toHaveLength(expected[file]!);
    }
    expect(runtimeCalls(read(loaded.tspc, 'app.js'))).toEqual(APP_RUNTIME_CALLS);
  });

  it('in a script compiled without `module`, follows the module kind the compiler derives from `target` (ES modules by default in TypeScript 6)', () => {
    const source = readFileSync(join(cjsProject, 'src/script.ts'), 'utf8');
    const emit = (target: ts.ScriptTarget): string =>
      typescript.transpileModule(source, { compilerOptions: { target }, fileName: 'script.ts', transformers: { before: [spanweave()] } }).outputText;
    expect(emit(typescript.ScriptTarget.ES5)).toMatch(/^var spanweave\w* = require\("spanweave\/runtime"\);$/m);
    expect(emit(typescript.ScriptTarget.ES2022)).toMatch(/^import \* as spanweave\w* from "spanweave\/runtime";$/m);
  });
});

describe('ES modules', () => {
  it("a .mts file gets `import * as ... from \"spanweave/runtime\"` after its 'use strict', once, next to the user's own spanweave and spanweave_1", () => {
    expect(esmTraced.output).toBe('');
    const js = read(esmTraced, 'app.mjs');
    const header = /^'use strict';\nimport \* as (\w+) from "spanweave\/runtime";\n/.exec(js);
    expect(header, js.slice(0, 200)).not.toBeNull();
    expect(['spanweave', 'spanweave_1']).not.toContain(header![1]);
    expect(js.match(/spanweave\/runtime/g)).toHaveLength(1);
    expect(js).not.toMatch(/\brequire\(/);
    expect(runtimeCalls(js)).toEqual(APP_RUNTIME_CALLS);
  });

  it('runs under Node ESM with an SDK registered by an ES module, and makes the same spans', () => {
    const run = runNode(['--import', childSdk, join(esmTraced.outDir, 'app.mjs')]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(reported<string>(run, 'result')).toBe('#9/user/labels');
    const spans = reported<SpanRecord[]>(run, 'spans');
    expect(recordTree(spans)).toBe(APP_TREE);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    for (const span of spans) {
      expect(span.kind, span.name).toBe(api.SpanKind.INTERNAL);
      expect(span.attributes, span.name).toEqual(APP_ATTRIBUTES[span.name]);
      expect(span.status.code, span.name).toBe(api.SpanStatusCode.UNSET);
    }
  });

  it('the untraced ESM build runs too and makes no spans', () => {
    const run = runNode(['--import', childSdk, join(esmUntraced.outDir, 'app.mjs')]);
    expect(run.stderr).toBe('');
    expect(reported<string>(run, 'result')).toBe('#9/user/labels');
    expect(reported<SpanRecord[]>(run, 'spans')).toEqual([]);
  });
});

describe('loaded into an unsupported TypeScript', () => {
  for (const version of ['4.9.5', '7.0.0']) {
    it(`TypeScript ${version}: a clear error when the transformer is created`, () => {
      let error: unknown;
      try {
        spanweave(undefined, {}, { ts: { version } });
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toContain(`TypeScript ${version}`);
      expect(message).toMatch(/5\.x/);
      expect(message).toMatch(/6\.x/);
    });
  }

  it('TypeScript 7: the message says how to emit instead', () => {
    expect(() => spanweave(undefined, {}, { ts: { version: '7.0.0' } })).toThrow(/TypeScript 6/);
  });

  it('a TypeScript without a version is refused too', () => {
    expect(() => spanweave(undefined, {}, { ts: {} })).toThrow(/supports TypeScript 5\.x and 6\.x/);
  });

  it('the TypeScript in use here is accepted', () => {
    expect(typeof spanweave(undefined, {}, { ts: typescript })).toBe('function');
  });
});
