import { chainMaps } from '../utils/chain-maps.js';
import type { SourceMap } from '../weave/index.js';
import type { Weaver } from './weaver.js';

export interface LoaderOptions {
  readonly weaver: Weaver;
  /** Whether the build is for a page or a worker (asked per file: the target is known only once the build runs). */
  readonly forBrowser: () => boolean;
}

/** What the loader uses of webpack's and Rspack's loader context. */
interface LoaderContext {
  readonly resourcePath: string;
  /** Whether the build makes source maps (its `devtool`). */
  readonly sourceMap?: boolean;
  getOptions(): LoaderOptions;
  emitError(error: Error): void;
  emitWarning(error: Error): void;
  callback(error: null, code: string, map?: SourceMap | string): void;
}

/**
 * The loader of webpack-family.ts: the file woven in its own language, with a map chained to an
 * earlier pre loader's (none where the build makes no source maps). A malformed tag is the build's
 * error, and the file goes on as it was.
 */
export default function spanweaveLoader(this: LoaderContext, code: string, map?: SourceMap | string): void {
  const { weaver, forBrowser } = this.getOptions();
  const woven = weaver.weave(code, this.resourcePath, forBrowser(), this.sourceMap !== false);
  if (woven?.error !== undefined) this.emitError(new Error(woven.error));
  if (woven?.warning !== undefined) this.emitWarning(new Error(woven.warning));
  if (woven?.code === undefined) return this.callback(null, code, map);
  if (woven.map === undefined) return this.callback(null, woven.code);
  const incoming = typeof map === 'string' ? (JSON.parse(map) as SourceMap) : map;
  this.callback(null, woven.code, incoming === undefined ? woven.map : chainMaps(this.resourcePath, woven.map, incoming));
}
