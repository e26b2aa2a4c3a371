import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export const BUN_VERSION = '1.4.5';

/** Bun's binary from the npm registry's platform package, installed once under .tmp/ and reused. */
export function bun(): string {
  const prefix = join(repoRoot, '.tmp', `bun-${BUN_VERSION}`);
  const binaryPackage = `@oven/bun-${process.platform}-${process.arch === 'arm64' ? 'aarch64' : process.arch}`;
  const binary = join(prefix, 'node_modules', binaryPackage, 'bin/bun');
  if (!existsSync(binary)) {
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${binaryPackage}@${BUN_VERSION}`], { stdio: 'ignore' });
  }
  return binary;
}
