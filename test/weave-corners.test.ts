/**
 * Corners of the text-edit core that only text has (the compiler plugin prints a tree): where the
 * runtime's import goes (a hashbang ended by a lone CR, a JSX pragma among the file's first
 * comments), which module format a file without import/export gets, option expressions that need
 * parentheses as an arrow's body, lines counted as TypeScript counts them, `await using`, which no
 * generator can hold, and a second weave of woven code. Each woven file is run, or compiled by TypeScript, as a user's would be.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type * as Typescript from 'typescript';
import { installSdk, type TestSdk } from './helpers/sdk.js';
import { freshDir, repoRoot } from './helpers/paths.js';

const require = createRequire(import.meta.url);
const { weave } = require(join(repoRoot, 'dist/transformer/weave/index.js')) as typeof import('../transformer/weave/index.js');
const ts = require('typescript') as typeof Typescript;

let sdk: TestSdk;
beforeAll(() => {
  sdk = installSdk();
});
afterAll(() => sdk.uninstall());

const woven = (fileName: string, code: string, options = {}): string => weave(fileName, code, options)!.code;

it('a consumer\'s object-literal from= and destination= are the arrows\' values, not their blocks: the incoming trace continues', () => {
  const dir = freshDir('corners-hop');
  const code = '/** @traced consumer from={ traceparent: message.tp } destination={ name: message.queue }.name */\nfunction handle(message) {\n  return message.queue;\n}\nexports.handle = handle;\n';
  writeFileSync(join(dir, 'hop.js'), woven('hop.js', code));
  const { handle } = require(join(dir, 'hop.js')) as { handle(message: { tp: string; queue: string }): string };
  sdk.reset();
  expect(handle({ tp: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', queue: 'orders' })).toBe('orders');
  const [span] = sdk.spans();
  expect(span?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
  expect(span?.attributes['messaging.destination.name']).toBe('orders');
});

it('a hashbang line ended by a lone CR keeps its place: the file still runs', () => {
  const dir = freshDir('corners-hashbang');
  const code = '#!/usr/bin/env node\r/** @traced */\rfunction f() { return 1; }\rconsole.log(f());\r';
  const output = woven('cli.mjs', code);
  expect(output.startsWith('#!/usr/bin/env node\rimport * as spanweave_1 from "spanweave/runtime";')).toBe(true);
  writeFileSync(join(dir, 'cli.mjs'), output);
  expect(execFileSync(process.execPath, [join(dir, 'cli.mjs')], { encoding: 'utf8' })).toBe('1\n');
});

it('a JSX pragma among the first comments stays one: TypeScript still reads it', () => {
  const code = '/** @jsxImportSource preact */\n/** @traced */\nexport const App = () => <div>hi</div>;\n';
  const { outputText } = ts.transpileModule(woven('app.tsx', code), { fileName: 'app.tsx', compilerOptions: { jsx: ts.JsxEmit.ReactJSX, module: ts.ModuleKind.ESNext } });
  expect(outputText).toContain('from "preact/jsx-runtime"');
  expect(outputText).toContain('spanweave_1.run("App"');
});

it('a script without import or export that mentions exports or require( only in comments is an ES module: it runs as one', () => {
  const dir = freshDir('corners-format');
  const code = '// This script exports nothing; it does not require( anything either.\n/** @traced */\nfunction onMessage(text) { return text.length; }\nconsole.log(onMessage("four"));\n';
  const output = woven('worker.js', code);
  expect(output).toMatch(/^import \* as spanweave_1 from "spanweave\/runtime";/);
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
  writeFileSync(join(dir, 'worker.js'), output);
  expect(execFileSync(process.execPath, [join(dir, 'worker.js')], { encoding: 'utf8' })).toBe('4\n');
});

it('a woven http.client function woven again is left as it is, without a warning that it makes no call', () => {
  const once = woven('get.ts', '/** @traced http.client */\nexport function get(url: string) {\n  return fetch(url);\n}\n');
  expect(once).toContain('spanweave_http_1.fetch(fetch, url)');
  const again = weave('get.ts', once)!;
  expect(again.changed).toBe(false);
  expect(again.diagnostics).toEqual([]);
});

it('a diagnostic after a U+2028 in a string is on the line TypeScript gives', () => {
  const code = 'const s = "a\u2028b";\n/** @traced nmae=x */\nfunction f() { return s; }\n';
  const [diagnostic] = weave('f.ts', code)!.diagnostics;
  const source = ts.createSourceFile('f.ts', code, ts.ScriptTarget.ES2022);
  expect(diagnostic?.line).toBe(source.getLineAndCharacterOfPosition(diagnostic!.start).line + 1);
  expect(diagnostic?.line).toBe(3);
});

it('awaitContext leaves an async body with `await using` async (a generator cannot hold it); TypeScript compiles it without an error', () => {
  const code = '/** @traced */\nexport async function f(resource: AsyncDisposable) {\n  await using held = resource;\n  return 1;\n}\n';
  const output = woven('f.ts', code, { awaitContext: true });
  expect(output).not.toContain('function*');
  expect(output).toContain('runAsync("f"');
  const host = ts.createCompilerHost({});
  const read = host.getSourceFile;
  host.getSourceFile = (name, ...rest) => (name === 'f.ts' ? ts.createSourceFile(name, output.replace(/^import .*?;/, 'declare const spanweave_1: any;'), ts.ScriptTarget.ESNext) : read(name, ...rest));
  const program = ts.createProgram(['f.ts'], { target: ts.ScriptTarget.ESNext, lib: ['lib.esnext.d.ts'], noEmit: true, types: [] }, host);
  expect(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
});

it("a named inner function repeats the outer one's return type where it fits on one line: none over several lines (it stays unnamed), no type predicate", () => {
  const code = [
    '/** @traced */\nexport function later(): Promise<number> {\n  return new Promise((resolve) => resolve(1));\n}\n',
    '/** @traced */\nexport function spread(): Promise<\n  number\n> {\n  return new Promise((resolve) => resolve(1));\n}\n',
    '/** @traced */\nexport function isText(value: unknown): value is string {\n  return typeof value === "string";\n}\n',
  ].join('');
  const output = woven('f.ts', code);
  expect(output.split('\n')).toHaveLength(code.split('\n').length);
  expect(output).toContain('{ later: (): Promise<number> => {');
  expect(output).toContain('run("spread", () => {');
  expect(output).toContain('{ isText: () => {');
});
