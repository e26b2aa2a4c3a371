import { registryBinary } from './registry-binary.js';

export const BUN_VERSION = '1.4.5';

/** Bun's binary from the npm registry's platform package. */
export function bun(): string {
  const name = `@oven/bun-${process.platform}-${process.arch === 'arm64' ? 'aarch64' : process.arch}`;
  return registryBinary(`bun-${BUN_VERSION}`, { name, version: BUN_VERSION, bin: 'bin/bun' });
}
