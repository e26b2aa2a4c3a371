import { globMatcher } from '../utils/glob.js';
import { formatDiagnostics, weave, type SourceMap } from '../weave/index.js';
import { traceAllGlobs, type AdapterOptions } from './tsconfig.js';

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
  private listedInTraceAll: ((fileName: string) => boolean) | undefined;

  /** `root`: the folder the tsconfig is looked for from, the tool's own root where it has one. */
  constructor(
    private readonly options: AdapterOptions,
    public root = process.cwd(),
  ) {}

  /** Whether some file of the project is traced whole, so that a file need not mention a tag to be woven. */
  get tracesFilesWhole(): boolean {
    return traceAllGlobs(this.options, this.root).length > 0;
  }

  weave(code: string, fileName: string): Woven | undefined {
    this.listedInTraceAll ??= globMatcher(traceAllGlobs(this.options, this.root));
    const traceAll = this.listedInTraceAll(fileName);
    if (!traceAll && !code.includes('traced')) return undefined;
    const woven = weave(fileName, code, { traceAll });
    if (woven === undefined) return undefined;
    const report = woven.diagnostics.length === 0 ? undefined : formatDiagnostics(woven.diagnostics, this.root);
    if (report !== undefined && woven.diagnostics.some((diagnostic) => diagnostic.category === 'error')) return { error: report };
    return { ...(woven.changed && { code: woven.code, map: woven.map }), warning: report };
  }
}
