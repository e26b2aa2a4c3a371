import { readFile } from 'node:fs/promises';
import { createSourceTransformer, inlineSourceMap, isUserSource, SOURCE_FILE, type AdapterOptions } from './source.js';

/** The part of esbuild's plugin interface this plugin uses (esbuild is not a dependency of spanweave). */
export interface EsbuildPlugin {
  name: string;
  setup(build: EsbuildPluginBuild): void;
}

interface EsbuildPluginBuild {
  initialOptions: { absWorkingDir?: string };
  onLoad(
    options: { filter: RegExp; namespace?: string },
    callback: (args: { path: string }) => Promise<EsbuildLoadResult | undefined>,
  ): void;
}

interface EsbuildLoadResult {
  contents: string;
  loader: 'js' | 'jsx';
  errors: { text: string }[];
  warnings: { text: string }[];
}

/**
 * esbuild: `plugins: [spanweave()]` in the build options. Loads the files that have tags as
 * JavaScript carrying its source map inline, which esbuild chains into its own; every other file
 * is left to esbuild.
 */
export function spanweave(options: AdapterOptions = {}): EsbuildPlugin {
  return {
    name: 'spanweave',
    setup(build) {
      const transform = createSourceTransformer(options, build.initialOptions.absWorkingDir);
      build.onLoad({ filter: SOURCE_FILE, namespace: 'file' }, async ({ path }) => {
        if (!isUserSource(path)) return undefined;
        const traced = transform(path, await readFile(path, 'utf8'), 'bundler');
        if (traced === undefined) return undefined;
        const messages = traced.message ? [{ text: traced.message }] : [];
        return {
          contents: traced.code + inlineSourceMap(traced.map),
          loader: /x$/.test(path) ? 'jsx' : 'js',
          errors: traced.hasErrors ? messages : [],
          warnings: traced.hasErrors ? [] : messages,
        };
      });
    },
  };
}
