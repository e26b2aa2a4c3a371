import type { Plugin } from 'rollup';
import { rollupFamilyPlugin } from './rollup-family.js';
import type { AdapterOptions } from './tsconfig.js';
import { Weaver } from './weaver.js';

export type { AdapterOptions } from './tsconfig.js';

/**
 * Rollup: `plugins: [spanweave(), typescript()]`, before the plugin that strips the types
 * (@rollup/plugin-typescript, rollup-plugin-esbuild, …), which drops comments and the tags with
 * them; Rollup runs the plugins' transforms in their order.
 */
export function spanweave(options: AdapterOptions = {}): Plugin {
  return rollupFamilyPlugin(new Weaver(options));
}
export default spanweave;
