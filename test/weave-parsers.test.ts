// The weave core reads oxc-parser's native result itself (weave/parse.ts): its tree must be the one
// oxc-parser's own parseSync gives, also where top-level statements are left as JSON text until
// read, and reading only the statements the plan's walk needs must weave every file as reading all
// of them does. And it must weave every file alike on every Node it runs on:
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

/** Files whose top-level statements are laid out unusually: decorators before `export` (outside its range), a hashbang, directives, nothing at all, overloads, a module bound by `require` (as CommonJS output binds it), a nice-grpc `add` in a function of its own. */
const CORNERS: [string, string][] = [
  ['decorators.ts', '@a @b export class C {}\nexport @c class D { /** @traced */ m() { return 1; } }\n@d export default class {}\n'],
  ['hashbang.ts', '#!/usr/bin/env node\n"use strict";\n/** @traced */ function f() { return /x/g; }\n'],
  ['empty.ts', ''],
  ['comment-only.ts', '/** @traced */\n'],
  ['overloads.ts', '/** @traced */ export function f(a: string): string;\nexport function f(a: number): number;\nexport function f(a: unknown) { return a; }\n'],
  ['required.js', '"use strict";\nconst http_1 = require("node:http");\nconst LIMIT = 3;\n/** @traced http.client */\nfunction get(url) {\n  return http_1.get(url);\n}\nexports.get = get;\n'],
  ['names.ts', 'import { helper } from "./h";\nconst LIMIT = 3;\nexport class Later {}\n/** @traced attr.limit=LIMIT attr.h=helper */ export function f(n: number) { return n + LIMIT; }\n'],
  [
    'nice.ts',
    'import { createServer } from "nice-grpc";\nimport { EchoDefinition } from "./echo";\n/** @traced grpc.server */\nconst impl = { async say(request: { text: string }) { return request; } };\nexport function main() {\n  const server = createServer();\n  server. /* the server */ add(EchoDefinition, impl);\n}\n',
  ],
];

function corpus(): [string, string][] {
  const programs = fc.sample(functionPrograms, { numRuns: 300, seed: 21 }).map((program, index): [string, string] => [`program${index}.ts`, programSource(program)]);
  return [...sources(fixturesDir), ...programs, ...CORNERS];
}

const languageOf = (fileName: string): 'ts' | 'tsx' | 'js' | 'jsx' => /\.[cm]?([jt]sx?)$/.exec(fileName)![1] as 'ts' | 'tsx' | 'js' | 'jsx';

it('reads the same tree with top-level statements left as JSON text until read', () => {
  const { parse } = require(join(repoRoot, 'dist/transformer/weave/parse.js')) as typeof import('../transformer/weave/parse.js');
  const text = (tree: unknown): string => JSON.stringify(tree, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value instanceof RegExp ? `${value}` : value));
  let deferred = 0;
  for (const [fileName, code] of [...corpus(), ['literals.ts', 'const big = 2n ** 64n;\nexport const pattern = [/a(?<n>b)+/giu, 1n];\n'] as [string, string]]) {
    const whole = text(parse(fileName, code, languageOf(fileName)).program);
    for (const readNow of [() => false, (from: number) => from % 2 === 0]) {
      const parsed = parse(fileName, code, languageOf(fileName), readNow);
      deferred += parsed.deferred.size;
      // Stringifying reads every property: each deferred statement is parsed on the way.
      expect(text(parsed.program), fileName).toBe(whole);
    }
  }
  expect(deferred).toBeGreaterThan(1000);
});

it('weaves every file as it does reading every statement', () => {
  const { weaveReading } = require(core) as typeof import('../transformer/weave/index.js');
  const { statementsToRead } = require(join(repoRoot, 'dist/transformer/weave/plan.js')) as typeof import('../transformer/weave/plan.js');
  let woven = 0;
  for (const [fileName, code] of corpus()) {
    const some = weaveReading(fileName, code, {}, statementsToRead(code));
    const all = weaveReading(fileName, code, {}, undefined);
    expect(some, fileName).toEqual(all);
    if (all?.changed) woven++;
  }
  expect(woven).toBeGreaterThan(300);
  // The corners are woven as the plan reads them: the definition found through the later `add`, the top-level names in scope.
  const weaveCorner = (name: string): string => {
    const code = CORNERS.find(([fileName]) => fileName === name)![1];
    return weaveReading(name, code, {}, statementsToRead(code))!.code;
  };
  expect(weaveCorner('nice.ts')).toContain('definition: { service: EchoDefinition, key: "say" }');
  expect(weaveCorner('names.ts')).toContain('"limit": LIMIT');
  // A module bound by `require` is known to the plan, and so is the runtime a woven file requires: a second weave changes nothing.
  const required = weaveCorner('required.js');
  expect(required).toContain('return spanweave_http_1.request(http_1.get, url);');
  expect(weaveReading('required.js', required, {}, statementsToRead(required))!.changed).toBe(false);
  expect(weaveCorner('overloads.ts')).toMatch(/function f\(a: unknown\) \{\s*return spanweave_1\.run\("f"/);
});
