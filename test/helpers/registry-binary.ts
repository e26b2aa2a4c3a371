import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** The binary `bin` of an npm registry package (a platform's build of a runtime), installed once under .tmp/<folder> and reused. */
export function registryBinary(folder: string, spec: { name: string; version: string; bin: string }): string {
  const prefix = join(repoRoot, '.tmp', folder);
  const binary = join(prefix, 'node_modules', spec.name, spec.bin);
  if (!existsSync(binary)) {
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${spec.name}@${spec.version}`], { stdio: 'ignore' });
  }
  return binary;
}
