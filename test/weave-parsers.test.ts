// The weave core reads oxc-parser's native result itself (weave/parse.ts): its tree must be the one
// oxc-parser's own parseSync gives. And it must weave every file alike on every Node it runs on:
// every fixture project's sources and a sample of the property test's random programs go through
// the core on this Node and on Node 22, and the code, source map and diagnostics must be the same.
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { functionPrograms, programSource } from './helpers/function-programs.js';
import { node22 } from './helpers/node22.js';
import { fixturesDir, repoRoot } from './helpers/paths.js';

const core = join(repoRoot, 'dist/transformer/weave/index.js');
const SOURCE = /\.[cm]?[jt]sx?$/;

function sources(dir: string): [string, string][] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry): [string, string][] => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('out') ? [] : sources(path);
    return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [[path, readFileSync(path, 'utf8')]] : [];
  });
}

const require = createRequire(import.meta.url);

function weaveWith(node: string, files: [string, string][]): unknown[] {
  const output = execFileSync(node, [join(repoRoot, 'test/helpers/weave-files.mjs'), core], { input: JSON.stringify(files), maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(output.toString('utf8'));
}

it('weaves every file alike on this Node and on Node 22', () => {
  const programs = fc.sample(functionPrograms, { numRuns: 300, seed: 21 }).map((program, index): [string, string] => [`program${index}.ts`, programSource(program)]);
  const files = [...sources(fixturesDir), ...programs];
  const here = weaveWith(process.execPath, files);
  expect(here.filter((result) => result !== null).length).toBeGreaterThan(300);
  expect(weaveWith(node22(), files)).toEqual(here);
}, 180_000);

it("reads the same tree as oxc-parser's own parseSync, BigInt and RegExp literals' values included", () => {
  const { parse } = require(join(repoRoot, 'dist/transformer/weave/parse.js')) as typeof import('../transformer/weave/parse.js');
  const { parseSync } = require('oxc-parser') as typeof import('oxc-parser');
  const text = (tree: unknown): string => JSON.stringify(tree, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value instanceof RegExp ? `${value}` : value));
  const literals = ['literals.ts', 'const big = { 1n: 2n ** 64n }; const pattern = /a(?<n>b)+/giu; /** @traced */ export function f() { return [big, pattern, /x/v]; }'] as [string, string];
  const files = [...sources(fixturesDir), literals];
  for (const [fileName, code] of files) {
    const lang = /\.[cm]?([jt]sx?)$/.exec(fileName)![1] as 'ts' | 'tsx' | 'js' | 'jsx';
    const ours = parse(fileName, code, lang);
    const theirs = parseSync(fileName, code, { lang });
    expect(text(ours.program), fileName).toBe(text(theirs.program));
    expect(ours.comments).toEqual(theirs.comments);
    expect(ours.ok).toBe(theirs.errors.length === 0);
  }
  // Set, not left null as in the JSON: the values are there, the same as oxc-parser's.
  expect(text(parse(...literals, 'ts').program)).toMatch(/"value":"64n".*"value":"\/a\(\?<n>b\)\+\/giu".*"value":"\/x\/v"/);
});
