import { spanweave as esbuildPlugin } from './esbuild.js';
import type { AdapterOptions } from './tsconfig.js';

export type { AdapterOptions } from './tsconfig.js';

/** Bun's plugin (`BunPlugin` of bun-types), without depending on its types. */
export interface BunPlugin {
  readonly name: string;
  setup(build: unknown): void;
}

/**
 * Bun: `plugins: [spanweave()]` in `Bun.build`. Bun's plugin builder follows esbuild's (`onLoad`
 * with a filter and a loader, `initialOptions` with the `platform` its `target` gives), so this is
 * esbuild's plugin.
 */
export function spanweave(options: AdapterOptions = {}): BunPlugin {
  return esbuildPlugin(options) as BunPlugin;
}
export default spanweave;
