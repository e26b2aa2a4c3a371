import { createSourceTransformer, isUserSource, type AdapterOptions, type SourceMap, type SourceTransformer } from './source.js';

/** The part of Vite's plugin interface this plugin uses (Vite is not a dependency of spanweave). */
export interface VitePlugin {
  name: string;
  enforce: 'pre';
  configResolved(config: { root: string }): void;
  transform(this: VitePluginContext, code: string, id: string): { code: string; map: SourceMap } | null;
}

interface VitePluginContext {
  error(message: string): never;
  warn(message: string): void;
}

/**
 * Vite and Vitest: `plugins: [spanweave()]` in vite.config / vitest.config. Runs before Vite's own
 * TypeScript step (which drops comments, and with them the tags) and hands it JavaScript with a
 * source map that Vite chains.
 */
export function spanweave(options: AdapterOptions = {}): VitePlugin {
  let transform: SourceTransformer | undefined;
  return {
    name: 'spanweave',
    enforce: 'pre',
    configResolved(config) {
      transform = createSourceTransformer(options, config.root);
    },
    transform(code, id) {
      const fileName = id.replace(/[?#].*$/, '');
      if (!isUserSource(fileName)) return null;
      const traced = (transform ??= createSourceTransformer(options))(fileName, code, 'bundler');
      if (traced === undefined) return null;
      if (traced.hasErrors) this.error(traced.message);
      if (traced.message) this.warn(traced.message);
      return { code: traced.code, map: traced.map };
    },
  };
}
