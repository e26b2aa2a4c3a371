import { NODE_MODULES } from './user-source.js';
import type { Weaver } from './weaver.js';
import type { SourceMap } from '../weave/index.js';

/** A source file's id, with or without a query (`?v=…`); the path must end with the extension. */
const SOURCE_ID = /^[^?#]*\.[cm]?[jt]sx?(?:[?#]|$)/;

interface TransformContext {
  /** Rollup, Rolldown and Vite throw. */
  error(message: string): void;
  warn(message: string): void;
}

/** The plugin Rollup, Rolldown and Vite share the shape of; each entry (rollup.ts, …) adds its own hooks. */
export interface RollupFamilyPlugin {
  readonly name: string;
  readonly transform: {
    readonly filter: { readonly id: { readonly include: RegExp; readonly exclude: RegExp }; readonly code?: { readonly include: RegExp } };
    handler(this: TransformContext, code: string, id: string, target?: unknown): { code: string; map: SourceMap | null } | null;
  };
}

/**
 * The plugin of the tools that share Rollup's plugin interface, written to it directly rather than
 * through unplugin, whose loading alone costs about 90 ms of CPU per build here (a fifth of a
 * Rolldown build of 500 files). Before the tool's own TypeScript step, which drops comments and the
 * tags with them, the weave core wraps the tagged functions and hands back the same language with a
 * source map. `forBrowser` tells from the hook's third argument (Vite's `{ ssr }`) whether a file is
 * built for a page; `sourceMap`, whether the build makes source maps (Vite's configuration says;
 * Rollup and Rolldown choose at output, after the transforms, so they always get one). A file that
 * neither mentions a tag nor is listed in `traceAll` is not parsed; where no file is traced whole,
 * the hook's filter says so, and the tool skips such files without calling into JavaScript (the
 * handler checks again for a tool without hook filters).
 */
export function rollupFamilyPlugin(weaver: Weaver, forBrowser: (target: unknown) => boolean = () => false, sourceMap: () => boolean = () => true): RollupFamilyPlugin {
  return {
    name: 'spanweave',
    transform: {
      filter: { id: { include: SOURCE_ID, exclude: NODE_MODULES }, ...(weaver.tagsOnly && { code: { include: /traced/ } }) },
      handler(code, id, target) {
        if (!SOURCE_ID.test(id) || NODE_MODULES.test(id)) return null;
        const woven = weaver.weave(code, id.replace(/[?#].*$/, ''), forBrowser(target), sourceMap());
        if (woven?.error !== undefined) {
          this.error(woven.error);
          return null;
        }
        if (woven?.warning !== undefined) this.warn(woven.warning);
        return woven?.code === undefined ? null : { code: woven.code, map: woven.map ?? null };
      },
    },
  };
}
