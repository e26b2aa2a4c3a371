/**
 * What the transformer emits for representative shapes, as files a reviewer can read:
 * fixtures/golden/src/*.ts compiled with tspc must equal fixtures/golden/expected/*.js, and woven by
 * the text-edit core (the bundlers' path) must equal fixtures/golden/woven/*.ts.
 * After an intended change, regenerate them with `UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts`
 * and read the diff.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { compileWithTspc, core, emittedFiles } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';

const project = join(fixturesDir, 'golden');
const modules = ['functions', 'classes', 'grpc'];
const outputs = new Map<string, string>();

function keep(dir: string, file: string, text: string): void {
  outputs.set(join(dir, file), text);
  if (!process.env.UPDATE_GOLDEN) return;
  mkdirSync(join(project, dir), { recursive: true });
  writeFileSync(join(project, dir, file), text);
}

beforeAll(() => {
  const build = compileWithTspc(project);
  expect(build.output).toBe('');
  for (const [file, text] of emittedFiles(build.outDir, '.js')) keep('expected', file, text);
  for (const module of modules) {
    const fileName = join(project, 'src', `${module}.ts`);
    const woven = core.weave(fileName, readFileSync(fileName, 'utf8'))!;
    expect(woven.diagnostics).toEqual([]);
    keep('woven', `${module}.ts`, woven.code);
  }
});

for (const module of modules) {
  for (const [dir, file] of [['expected', `${module}.js`], ['woven', `${module}.ts`]] as const) {
    it(`${file} is emitted as in fixtures/golden/${dir}`, () => {
      expect(outputs.get(join(dir, file))).toBe(readFileSync(join(project, dir, file), 'utf8'));
    });
  }
}
