import { registryBinary } from './registry-binary.js';

/** A Node with module.registerHooks (≥ 22.15), for spanweave/register, when this one is older. */
export const NODE22_VERSION = '22.23.3';

/**
 * This Node if it has module.registerHooks, else Node 22 from the npm registry's binary package,
 * installed once under .tmp/ (about 8 s) and reused.
 */
export function node22(): string {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 15)) return process.execPath;
  return registryBinary(`node-${NODE22_VERSION}`, { name: `node-${process.platform}-${process.arch}`, version: NODE22_VERSION, bin: 'bin/node' });
}
