import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdapterOptions } from './tsconfig.js';
import { isUserSource } from './user-source.js';
import type { LoaderOptions } from './webpack-loader.js';
import { Weaver } from './weaver.js';

/** What the plugin reads of a webpack or Rspack compiler. */
export interface WebpackFamilyCompiler {
  readonly options: { readonly context?: string; readonly module: { readonly rules: unknown[] } };
  /** What the build's target runs on: known once the tool has applied its defaults, after the plugins. */
  readonly platform?: { readonly web?: boolean | null; readonly node?: boolean | null } | false;
}

export interface WebpackFamilyPlugin {
  readonly name: string;
  apply(compiler: WebpackFamilyCompiler): void;
}

const LOADER = join(__dirname, 'webpack-loader.js');
const ASSET_QUERY = /[?&](?:raw|url|inline|source)(?:[=&]|$)/;

/**
 * webpack's and Rspack's plugin: a pre loader, so that the tagged files are woven before the
 * tool's own TypeScript step (ts-loader, babel-loader, `builtin:swc-loader`) drops the comments.
 * The rule's condition reads each file and hands the loader only those that may change: a
 * JavaScript loader costs Rspack 1.23–1.34× its own build on every module, even one that hands
 * the file back untouched (docs/benchmarks.md). A watching compiler asks again for a file that
 * changed, so one that gains its first tag is woven on the rebuild.
 */
export function webpackFamilyPlugin(options: AdapterOptions = {}): WebpackFamilyPlugin {
  return {
    name: 'spanweave',
    apply(compiler) {
      const weaver = new Weaver(options, compiler.options.context ?? process.cwd());
      // A page or a worker, where no context manager follows an await: awaitContext's default is on there (tsconfig.ts).
      const forBrowser = (): boolean => compiler.platform !== undefined && compiler.platform !== false && compiler.platform.web === true && compiler.platform.node !== true;
      const loaderOptions: LoaderOptions = { weaver, forBrowser };
      compiler.options.module.rules.unshift({
        enforce: 'pre',
        // Not a file imported as its text or its URL (`./a.ts?raw`, as Vite names them), which is not code.
        resourceQuery: { not: [ASSET_QUERY] },
        test: (resource: string) => isUserSource(resource) && mayWeave(weaver, resource),
        use: [{ loader: LOADER, options: loaderOptions }],
      });
    },
  };
}

function mayWeave(weaver: Weaver, resource: string): boolean {
  try {
    return weaver.mayWeave(resource, readFileSync(resource, 'utf8'));
  } catch {
    return true; // not on disk (a virtual module): the loader reads what the tool hands it
  }
}
