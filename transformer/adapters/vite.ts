import type { Plugin } from 'vite';
import { rollupFamilyPlugin } from './rollup-family.js';
import type { AdapterOptions } from './tsconfig.js';
import { Weaver } from './weaver.js';

export type { AdapterOptions } from './tsconfig.js';

/**
 * Vite and Vitest: `plugins: [spanweave()]` in vite.config / vitest.config. Runs before Vite's own
 * TypeScript step (which drops comments, and with them the tags) and hands it the woven TypeScript
 * with a source map that Vite chains.
 */
export function spanweave(options: AdapterOptions = {}): Plugin {
  const weaver = new Weaver(options);
  // The dev server (and Vitest) maps every module; a build only where `build.sourcemap` asks.
  let sourceMap = true;
  // Vite hands each transform `{ ssr }`: code for the server is not the page's.
  const forBrowser = (target: unknown): boolean => (target as { ssr?: boolean } | undefined)?.ssr !== true;
  return {
    ...rollupFamilyPlugin(weaver, forBrowser, () => sourceMap),
    enforce: 'pre',
    configResolved(config) {
      weaver.setRoot(config.root);
      sourceMap = config.command === 'serve' || Boolean(config.build.sourcemap);
    },
  };
}
export default spanweave;
