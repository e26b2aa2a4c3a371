import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Loader, Plugin } from 'esbuild';
import { inlineMapUrl } from '../utils/inline-map.js';
import type { AdapterOptions } from './tsconfig.js';
import { NODE_MODULES, SOURCE_FILE } from './user-source.js';
import { Weaver } from './weaver.js';

export type { AdapterOptions } from './tsconfig.js';

/** esbuild's own loaders for the files the plugin looks at: the woven code is the file's language still. */
export const LOADERS: Readonly<Record<string, Loader>> = { '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx', '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx' };

/**
 * esbuild: `plugins: [spanweave()]` in the build options. Tagged files are loaded woven, in their
 * own language (with the loader the build configures for them) and their source map inline, which
 * esbuild chains into its own. Not through unplugin, whose esbuild adapter hands every file it
 * reads back to esbuild: a file this plugin does not weave is left to esbuild to load.
 */
export function spanweave(options: AdapterOptions = {}): Plugin {
  return {
    name: 'spanweave',
    setup(build) {
      const weaver = new Weaver(options, build.initialOptions.absWorkingDir);
      const loaders = build.initialOptions.loader ?? {};
      const forBrowser = (build.initialOptions.platform ?? 'browser') === 'browser';
      // esbuild's `sourcemap` (Bun's too, whose `'none'` says none): a build without maps gets none from the weave.
      const { sourcemap } = build.initialOptions as { sourcemap?: unknown };
      const sourceMap = sourcemap !== undefined && sourcemap !== false && sourcemap !== 'none';
      // Synchronous: fs.promises.readFile costs several times more CPU, and every file the filter admits is read.
      // Files on disk only (another plugin's virtual modules are its own), imported as code (not `with { type: 'text' }`).
      build.onLoad({ filter: SOURCE_FILE, namespace: 'file' }, ({ path, with: attributes }) => {
        // Bun's arguments have no `with`.
        if (NODE_MODULES.test(path) || Object.keys((attributes as Record<string, string> | undefined) ?? {}).length > 0) return undefined;
        const code = readFileSync(path, 'utf8');
        const woven = weaver.weave(code, path, forBrowser, sourceMap);
        if (woven === undefined || (woven.code === undefined && woven.warning === undefined && woven.error === undefined)) return undefined;
        const extension = extname(path);
        return {
          contents: woven.code === undefined ? code : woven.map === undefined ? woven.code : `${woven.code}\n//# sourceMappingURL=${inlineMapUrl(woven.map)}`,
          loader: loaders[extension] ?? LOADERS[extension],
          errors: woven.error === undefined ? [] : [{ text: woven.error }],
          warnings: woven.warning === undefined ? [] : [{ text: woven.warning }],
        };
      });
    },
  };
}
export default spanweave;
