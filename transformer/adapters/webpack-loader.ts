import { chainMaps } from '../utils/chain-maps.js';
import type { SourceMap } from '../weave/index.js';
import type { Weaver } from './weaver.js';

export interface LoaderOptions {
  readonly weaver: Weaver;
  /** Whether the build is for a page or a worker (asked per file: the target is known only once the build runs). */
  readonly forBrowser: () => boolean;
}

/** A loader of the chain, as the loader context lists it. */
interface ChainedLoader {
  readonly path: string;
  readonly options?: string | { readonly transpileOnly?: boolean; readonly happyPackMode?: boolean } | null;
}

/** What the loader uses of webpack's and Rspack's loader context. */
interface LoaderContext {
  readonly resourcePath: string;
  /** The rule's loaders; those before `loaderIndex` run after this one. */
  readonly loaders: readonly ChainedLoader[];
  readonly loaderIndex: number;
  /** The build, to warn once in each (not in their types, but set by both tools). */
  readonly _compilation: object;
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
  warnOfTypeCheck(this);
  if (woven.map === undefined) return this.callback(null, woven.code);
  const incoming = typeof map === 'string' ? (JSON.parse(map) as SourceMap) : map;
  this.callback(null, woven.code, incoming === undefined ? woven.map : chainMaps(this.resourcePath, woven.map, incoming));
}

const TYPE_CHECK_WARNING =
  "spanweave: ts-loader type-checks the woven code it is handed, not the code you wrote, and traced generators (and, where awaitContext is on, as in browser builds, async functions) do not type-check as woven. Give ts-loader `transpileOnly: true` and check types apart (`tsc --noEmit`, fork-ts-checker-webpack-plugin), or leave spanweave/webpack out and pass spanweave to ts-loader's getCustomTransformers (README, webpack).";

const warnedBuilds = new WeakSet<object>();

/** Warns once a build where ts-loader, after this loader, checks the types of what it is handed (neither transpileOnly nor happyPackMode). */
function warnOfTypeCheck(context: LoaderContext): void {
  if (warnedBuilds.has(context._compilation) || !context.loaders.slice(0, context.loaderIndex).some(isTypeCheckingTsLoader)) return;
  warnedBuilds.add(context._compilation);
  context.emitWarning(new Error(TYPE_CHECK_WARNING));
}

function isTypeCheckingTsLoader({ path, options }: ChainedLoader): boolean {
  if (!/[\\/]ts-loader[\\/]/.test(path)) return false;
  // Options written as a query string (`ts-loader?transpileOnly=true`) stay a string.
  if (typeof options === 'string') return !/transpileOnly|happyPackMode/.test(options);
  return !options?.transpileOnly && !options?.happyPackMode;
}
