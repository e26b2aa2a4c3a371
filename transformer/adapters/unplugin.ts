import { createUnplugin, type UnpluginInstance } from 'unplugin';
import { rollupFamilyPlugin } from './rollup-family.js';
import type { AdapterOptions } from './tsconfig.js';
import { Weaver } from './weaver.js';

export type { AdapterOptions } from './tsconfig.js';

/**
 * webpack and Rspack, through unplugin, which makes the transform a pre loader of theirs: the same
 * hook as the Rollup family's (rollup-family.ts), with the tool's `context` as its root.
 */
export const unplugin: UnpluginInstance<AdapterOptions | undefined, false> = createUnplugin<AdapterOptions | undefined, false>((options = {}) => {
  const weaver = new Weaver(options);
  return {
    ...rollupFamilyPlugin(weaver),
    enforce: 'pre',
    webpack: (compiler) => weaver.setRoot(compiler.options.context ?? process.cwd()),
    rspack: (compiler) => weaver.setRoot(compiler.options.context ?? process.cwd()),
  };
});
