import { globMatcher } from '../utils/glob.js';
import { formatDiagnostics, weave, type SourceMap } from '../weave/index.js';
import { projectSettings, type AdapterOptions, type ProjectSettings } from './tsconfig.js';

/** What a bundler plugin does with one file: the woven code and map, or the problems to report. */
export interface Woven {
  /** Undefined when the file comes out as it went in. */
  readonly code?: string;
  readonly map?: SourceMap;
  readonly error?: string;
  readonly warning?: string;
}

/**
 * The weave core as every bundler plugin calls it: the project's `traceAll` read from its
 * tsconfig once, relative to the tool's root, and the core's diagnostics as `tsc` prints them.
 */
export class Weaver {
  /**
   * Whether no file is traced whole as seen from where the plugin was created, so that a file
   * without a tag may be passed over by its text (a hook filter) before the tool's root is known.
   */
  readonly tagsOnly: boolean;
  private settings: Settings;

  /** `root`: the folder the tsconfig is looked for from, the tool's own root where it has one. */
  constructor(
    private readonly options: AdapterOptions,
    private root = process.cwd(),
  ) {
    this.settings = settingsAt(options, root);
    this.tagsOnly = this.settings.traceAll.length === 0;
  }

  /** The tool's root, once its configuration says it (Vite's `root`). */
  setRoot(root: string): void {
    this.root = root;
    this.settings = settingsAt(this.options, root);
    if (this.tagsOnly && this.settings.traceAll.length > 0) {
      throw new Error(
        `spanweave: the tsconfig found from the build's root ${root} lists files in traceAll, but the plugin was created in ${process.cwd()}, whose tsconfig lists none, and passes over files without tags. ` +
          `Run the build from ${root}, or name the files: spanweave({ traceAll: [...] }).`,
      );
    }
  }

  /**
   * `forBrowser`: whether the file is built for a page, where awaitContext defaults to on (no
   * context manager follows an await there). `sourceMap`: whether the build makes source maps
   * (where a tool says it does not, the map, a fifth of a weave, is not made).
   */
  weave(code: string, fileName: string, forBrowser: boolean, sourceMap = true): Woven | undefined {
    const traceAll = this.settings.listedInTraceAll(fileName);
    if (!traceAll && !code.includes('traced')) return undefined;
    const woven = weave(fileName, code, { traceAll, awaitContext: this.settings.awaitContext ?? forBrowser, sourceMap });
    if (woven === undefined) return undefined;
    const report = woven.diagnostics.length === 0 ? undefined : formatDiagnostics(woven.diagnostics, this.root);
    if (report !== undefined && woven.diagnostics.some((diagnostic) => diagnostic.category === 'error')) return { error: report };
    return { ...(woven.changed && { code: woven.code, map: woven.map }), warning: report };
  }

  /** Whether `weave` may change a file, from its path and text: listed in traceAll, or mentioning a tag. */
  mayWeave(fileName: string, code: string): boolean {
    return this.settings.listedInTraceAll(fileName) || code.includes('traced');
  }
}

type Settings = ProjectSettings & { listedInTraceAll(fileName: string): boolean };

/** The project's settings as found from `root`, read once per root. */
function settingsAt(options: AdapterOptions, root: string): Settings {
  const settings = projectSettings(options, root);
  return { ...settings, listedInTraceAll: globMatcher(settings.traceAll) };
}
