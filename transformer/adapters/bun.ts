import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { spanweave as esbuildPlugin, LOADERS } from './esbuild.js';
import type { AdapterOptions } from './tsconfig.js';

export type { AdapterOptions } from './tsconfig.js';

/** Bun's plugin (`BunPlugin` of bun-types), without depending on its types. */
export interface BunPlugin {
  readonly name: string;
  setup(build: unknown): void;
}

type OnLoad = (args: { path: string }) => unknown;

/** What esbuild's plugin uses of its builder, which Bun's has too, but for `initialOptions` at run time. */
interface Builder {
  readonly initialOptions?: object;
  onLoad(options: { filter: RegExp }, callback: OnLoad): void;
}

/** The user's source files (not under node_modules), for Bun's run-time hook, which must load whatever its filter admits. */
const RUN_TIME_FILTER = /^(?!.*[\\/]node_modules[\\/]).*\.[cm]?tsx?$/;

/**
 * Bun: `plugins: [spanweave()]` in `Bun.build`, or `plugin(spanweave())` from `bun` in a preload
 * for `bun run`. Bun's plugin builder follows esbuild's (`onLoad` with a filter and a loader,
 * `initialOptions` with the `platform` a build's `target` gives), so this is esbuild's plugin; at
 * run time, where there are no build options, the code runs on Bun's server side.
 */
export function spanweave(options: AdapterOptions = {}): BunPlugin {
  const plugin = esbuildPlugin(options);
  return {
    name: plugin.name,
    setup(build: unknown) {
      const builder = build as Builder;
      if (builder.initialOptions !== undefined) return plugin.setup(build as never);
      // At run time a file the filter admits must be loaded here: as it is, where it is not woven.
      const onLoad = (_options: object, weave: OnLoad): void =>
        builder.onLoad({ filter: RUN_TIME_FILTER }, (args) => weave(args) ?? { contents: readFileSync(args.path, 'utf8'), loader: LOADERS[extname(args.path)] });
      // Bun reads the inline map for its stack traces.
      return plugin.setup({ initialOptions: { platform: 'node', sourcemap: 'inline' }, onLoad } as never);
    },
  };
}
export default spanweave;
