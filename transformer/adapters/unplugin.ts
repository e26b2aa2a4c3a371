import { createUnplugin, type UnpluginInstance } from 'unplugin';
import type { AdapterOptions } from './tsconfig.js';
import { NODE_MODULES } from './user-source.js';
import { Weaver } from './weaver.js';

export type { AdapterOptions } from './tsconfig.js';

/** A source file's id, with or without a query (`?v=…`); the path must end with the extension. */
const SOURCE_ID = /^[^?#]*\.[cm]?[jt]sx?(?:[?#]|$)/;

/**
 * The one plugin behind the bundlers' entry points (vite.ts, rollup.ts, …; esbuild has its own,
 * esbuild.ts): before the tool's own TypeScript step, which drops comments and the tags with
 * them, the weave core wraps the tagged functions and hands back the same language with a source
 * map. A file that neither mentions a tag nor is listed in `traceAll` is not parsed; where no file
 * is traced whole, the hook's filter says so, and Rolldown and Vite skip such files without calling
 * into JavaScript.
 */
export const unplugin: UnpluginInstance<AdapterOptions | undefined, false> = createUnplugin<AdapterOptions | undefined, false>((options = {}) => {
  const weaver = new Weaver(options);
  const tagsOnly = !weaver.tracesFilesWhole;
  const setRoot = (root: string): void => {
    weaver.root = root;
    if (tagsOnly && weaver.tracesFilesWhole) throw new Error(traceAllAfterSetup(root));
  };

  return {
    name: 'spanweave',
    enforce: 'pre',
    transform: {
      filter: { id: { include: SOURCE_ID, exclude: NODE_MODULES }, ...(tagsOnly && { code: { include: /traced/ } }) },
      handler(code, id) {
        const woven = weaver.weave(code, id.replace(/[?#].*$/, ''));
        // Rollup and Vite throw here; webpack and Rspack collect the error and go on.
        if (woven?.error !== undefined) return this.error(woven.error);
        if (woven?.warning !== undefined) this.warn(woven.warning);
        return woven?.code === undefined ? null : { code: woven.code, map: woven.map };
      },
    },
    vite: {
      configResolved: (config) => setRoot(config.root),
    },
    webpack: (compiler) => setRoot(compiler.options.context ?? weaver.root),
    rspack: (compiler) => setRoot(compiler.options.context ?? weaver.root),
  };
});

/** The tool's root has files traced whole, but the hook's filter, set before the root was known, passes over files without tags. */
function traceAllAfterSetup(root: string): string {
  return `spanweave: the tsconfig found from the build's root ${root} lists files in traceAll, but the plugin was created in ${process.cwd()}, whose tsconfig lists none, and passes over files without tags. Run the build from ${root}, or name the files: spanweave({ traceAll: [...] }).`;
}
