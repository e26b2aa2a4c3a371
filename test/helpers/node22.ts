import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** A Node with module.registerHooks (≥ 22.15), for spanweave/register, when this one is older. */
export const NODE22_VERSION = '22.23.3';

/**
 * This Node if it has module.registerHooks, else Node 22 from the npm registry's binary package,
 * installed once under .tmp/ (about 8 s) and reused.
 */
export function node22(): string {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 15)) return process.execPath;
  const prefix = join(repoRoot, '.tmp', `node-${NODE22_VERSION}`);
  const binaryPackage = `node-${process.platform}-${process.arch}`;
  const binary = join(prefix, 'node_modules', binaryPackage, 'bin/node');
  if (!existsSync(binary)) {
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${binaryPackage}@${NODE22_VERSION}`], { stdio: 'ignore' });
  }
  return binary;
}
