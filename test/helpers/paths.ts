import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesDir = join(repoRoot, 'fixtures');

let counter = 0;
/** A fresh directory under the repo's .tmp/ (inside the package, so `spanweave/runtime` resolves). */
export function freshDir(label: string): string {
  const dir = join(repoRoot, '.tmp', `${label}-${process.pid}-${Date.now()}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
