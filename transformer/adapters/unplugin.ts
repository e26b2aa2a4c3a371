import { extname } from 'node:path';
import type { Loader } from 'esbuild';
import { createUnplugin, type UnpluginInstance } from 'unplugin';
import { globMatcher } from '../utils/glob.js';
import { formatDiagnostics, weave } from '../weave/index.js';
import { traceAllGlobs, type AdapterOptions } from './tsconfig.js';
import { NODE_MODULES, SOURCE_FILE } from './user-source.js';

export type { AdapterOptions } from './tsconfig.js';

/** A source file's id, with or without a query (`?v=…`); the path must end with the extension. */
const SOURCE_ID = /^[^?#]*\.[cm]?[jt]sx?(?:[?#]|$)/;

/** esbuild's own loaders for the files the plugin looks at: the woven code is the file's language still. */
const ESBUILD_LOADERS: Readonly<Record<string, Loader>> = { '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx', '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx' };

/**
 * The one plugin behind every bundler's entry point (vite.ts, rollup.ts, …): before the tool's own
 * TypeScript step, which drops comments and the tags with them, the weave core wraps the tagged
 * functions and hands back the same language with a source map. A file that neither mentions a
 * tag nor is listed in `traceAll` is not parsed.
 */
export const unplugin: UnpluginInstance<AdapterOptions | undefined, false> = createUnplugin<AdapterOptions | undefined, false>((options = {}) => {
  // The folder the tsconfig is looked for from: the tool's own root where it has one.
  let root = process.cwd();
  let listedInTraceAll: ((fileName: string) => boolean) | undefined;
  let esbuildLoaders: Readonly<Record<string, Loader>> = {};

  return {
    name: 'spanweave',
    enforce: 'pre',
    transform: {
      filter: { id: { include: SOURCE_ID, exclude: NODE_MODULES } },
      handler(code, id) {
        const fileName = id.replace(/[?#].*$/, '');
        listedInTraceAll ??= globMatcher(traceAllGlobs(options, root));
        const traceAll = listedInTraceAll(fileName);
        if (!traceAll && !code.includes('traced')) return null;
        const woven = weave(fileName, code, { traceAll });
        if (woven === undefined) return null;
        if (woven.diagnostics.length > 0) {
          const message = formatDiagnostics(woven.diagnostics, root);
          // Rollup and Vite throw here; esbuild, webpack and Rspack collect the error and go on.
          if (woven.diagnostics.some((diagnostic) => diagnostic.category === 'error')) return this.error(message);
          this.warn(message);
        }
        return woven.changed ? { code: woven.code, map: woven.map } : null;
      },
    },
    vite: {
      configResolved(config) {
        root = config.root;
      },
    },
    esbuild: {
      // Lets esbuild skip every other file without calling into JavaScript.
      onLoadFilter: SOURCE_FILE,
      config(buildOptions) {
        root = buildOptions.absWorkingDir ?? root;
        esbuildLoaders = buildOptions.loader ?? {};
      },
      // unplugin hands every file the filter admits back to esbuild, tagged or not, with a loader
      // guessed from the extension: keep the one the build configures for it.
      loader: (_code, id) => (esbuildLoaders[extname(id)] ?? ESBUILD_LOADERS[extname(id)] ?? 'js'),
    },
    webpack(compiler) {
      root = compiler.options.context ?? root;
    },
    rspack(compiler) {
      root = compiler.options.context ?? root;
    },
  };
});
