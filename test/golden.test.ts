/**
 * What the transformer emits for representative shapes, as files a reviewer can read:
 * fixtures/golden/src/*.ts compiled with tspc must equal fixtures/golden/expected/*.js.
 * After an intended change, regenerate them with `UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts`
 * and read the diff.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { compileWithTspc, emittedFiles } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';

const project = join(fixturesDir, 'golden');
const expectedDir = join(project, 'expected');
let emitted: Map<string, string>;

beforeAll(() => {
  const build = compileWithTspc(project);
  expect(build.output).toBe('');
  emitted = emittedFiles(build.outDir, '.js');
  if (process.env.UPDATE_GOLDEN) {
    mkdirSync(expectedDir, { recursive: true });
    for (const [file, text] of emitted) writeFileSync(join(expectedDir, file), text);
  }
});

for (const file of ['functions.js', 'classes.js', 'grpc.js']) {
  it(`${file} is emitted as in fixtures/golden/expected`, () => {
    expect(emitted.get(file)).toBe(readFileSync(join(expectedDir, file), 'utf8'));
  });
}
