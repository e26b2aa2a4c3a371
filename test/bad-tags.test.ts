/**
 * fixtures/bad-tags: every malformed or misplaced tag is a diagnostic on its own line, with its
 * code and a fix hint (`// expect TS<code> "<text>"` beside it in the fixture), through tspc, the
 * program API, transpileModule and the text-edit core alike; nothing else is reported; and the rest still compiles
 * and is traced.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileWithProgram, compileWithTranspileModule, compileWithTspc, compileWithWeavedSource, type Build } from './helpers/compile.js';
import { fixturesDir, freshDir } from './helpers/paths.js';
import { installSdk, type TestSdk } from './helpers/sdk.js';

const project = join(fixturesDir, 'bad-tags');
const source = readFileSync(join(project, 'src/tags.ts'), 'utf8');

interface Expected {
  line: number;
  code: string;
  text: string;
}

const expected: Expected[] = source.split('\n').flatMap((line, index) => {
  const match = /expect (TS\d+) "([^"]+)"/.exec(line);
  return match ? [{ line: index + 1, code: match[1]!, text: match[2]! }] : [];
});

interface Reported {
  line: number;
  code: string;
  category: string;
  message: string;
}

/** `file(line,col): error TS95001: message` lines of tsc's plain output, spanweave's only. */
function reported(output: string): Reported[] {
  return [...output.matchAll(/tags\.ts\((\d+),\d+\): (error|warning) (TS950\d\d): (.*)/g)].map((m) => ({ line: Number(m[1]), category: m[2]!, code: m[3]!, message: m[4]! }));
}

const builds: Record<string, (project: string) => Build> = {
  tspc: compileWithTspc,
  'program.emit': compileWithProgram,
  transpileModule: compileWithTranspileModule,
  // On tsc's output the core reports at the JavaScript's lines; `spanweave build` moves them to the
  // .ts (test/cli.test.ts), so the emitted path is checked there.
  'weave source': compileWithWeavedSource,
};

let sdk: TestSdk;
beforeAll(() => {
  sdk = installSdk();
});
afterAll(() => sdk.uninstall());

it('the fixture declares its expectations', () => {
  expect(expected.length).toBeGreaterThanOrEqual(25);
});

for (const [path, compile] of Object.entries(builds)) {
  describe(path, () => {
    let build: Build;
    beforeAll(() => {
      build = compile(project);
    });

    it('reports every bad tag on its line, with its code and hint, and nothing else', () => {
      const diagnostics = reported(build.output);
      for (const { line, code, text } of expected) {
        const here = diagnostics.filter((d) => d.line === line);
        expect(here.map((d) => d.code), `line ${line}: ${source.split('\n')[line - 1]}`).toEqual([code]);
        expect(here[0]!.message).toContain(text);
        expect(here[0]!.message).toMatch(/^spanweave: /);
      }
      expect(diagnostics.map((d) => d.line).sort((a, b) => a - b)).toEqual(expected.map((e) => e.line));
      expect(diagnostics.filter((d) => d.category === 'warning').map((d) => d.code)).toEqual(diagnostics.filter((d) => d.code === 'TS95005').map((d) => d.code));
    });

    it('fails the build only through the diagnostics: no other errors, output emitted', () => {
      expect(build.output.split('\n').filter((line) => line.trim() !== '' && !/TS950\d\d/.test(line))).toEqual([]);
      if (path === 'tspc') expect(build.exitCode).toBe(2); // errors reported, outputs generated
    });

    it('still traces the well-formed tags, leaves malformed ones untraced, and drops only a bad attr. (a bad into= leaves its function untraced)', () => {
      const tags = build.load<Record<string, (...args: never[]) => unknown>>('tags');
      sdk.reset();
      expect(tags.good!(...([21] as never[]))).toBe(42);
      expect(new (tags.Overridden as unknown as new () => { method(): number })().method()).toBe(17);
      for (const name of ['unknownOption', 'misspelledKind', 'producerWithoutCarrier', 'misplacedRoute', 'repeated', 'empty', 'unclosed', 'badKey', 'publicInternal', 'twice', 'clientFunction', 'clientWithoutCalls', 'redeclares', 'optedOutAlone', 'lineComment', 'prose']) {
        tags[name]!(...([1, 2] as never[]));
      }
      expect(sdk.spans().map((s) => s.name)).toEqual(['good', 'custom.name']);
      // A bad attr. expression costs the attribute, not the span.
      sdk.reset();
      for (const name of ['notOneExpression', 'outOfScope', 'importedName']) tags[name]!(...([1, 2] as never[]));
      tags.producerOutOfScope!(...([{ headers: {} }] as never[]));
      expect(sdk.spans().map((s) => [s.name, s.attributes])).toEqual([
        ['notOneExpression', {}],
        ['outOfScope', {}],
        ['importedName', {}],
      ]);
    });
  });
}

describe('a tagged file nested deeper than spanweave can walk', () => {
  // A sum of 6,000 terms: TypeScript 5.9 compiles it; spanweave's walks of the tree run out of stack first.
  const deep = freshDir('bad-tags-deep');
  mkdirSync(join(deep, 'src'));
  writeFileSync(join(deep, 'tsconfig.json'), readFileSync(join(project, 'tsconfig.json')));
  writeFileSync(join(deep, 'src/tags.ts'), `/** @traced */\nexport function sum(a: number): number {\n  return ${Array(6_000).fill('a').join(' + ')};\n}\n`);

  it.each(Object.keys(builds))('%s: reported at the tag with a fix hint, the file compiled untraced', (path) => {
    const build = builds[path]!(deep);
    expect(reported(build.output)).toEqual([{ line: 1, category: 'error', code: 'TS95004', message: expect.stringContaining('Split the deepest expression') }]);
    sdk.reset();
    expect(build.load<{ sum(a: number): number }>('tags').sum(1)).toBe(6_000);
    expect(sdk.spans()).toEqual([]);
  });
});
