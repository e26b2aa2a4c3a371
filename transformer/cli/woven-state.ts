import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { WeaveDiagnostic } from '../weave/index.js';
import { version } from '../version.js';

interface SavedState {
  readonly spanweave: string;
  /** The hash of the .tsbuildinfo as the last `spanweave build` left it. */
  readonly buildInfo: string;
  /** The diagnostics of each JavaScript file woven, by its path. */
  readonly diagnostics: { readonly [file: string]: readonly WeaveDiagnostic[] };
}

/**
 * The diagnostics of the files woven so far, kept between runs of an incremental build beside its
 * .tsbuildinfo (`<name>.tsbuildinfo.spanweave`, the name of the compiler plugin's stamp): tsc
 * re-emits only the files that changed, the others keep their woven code, and their diagnostics are
 * printed again from here, as tsc repeats its own.
 */
export class WovenState {
  private readonly diagnostics: Map<string, readonly WeaveDiagnostic[]>;

  private constructor(
    private readonly buildInfoFile: string | undefined,
    recorded: SavedState | undefined,
  ) {
    this.diagnostics = new Map(Object.entries(recorded?.diagnostics ?? {}));
  }

  /**
   * The state of the build. A .tsbuildinfo that another build wrote (plain tsc, another spanweave
   * version) describes outputs that may not be woven, and tsc would not emit them again: it is
   * deleted, so that tsc emits every file; `onRestart` says so.
   */
  static open(buildInfoFile: string | undefined, onRestart: (reason: string) => void): WovenState {
    if (buildInfoFile === undefined) return new WovenState(undefined, undefined);
    const recorded = readRecord(`${buildInfoFile}.spanweave`);
    if (existsSync(buildInfoFile) && (recorded?.spanweave !== version || recorded.buildInfo !== hashOf(buildInfoFile))) {
      onRestart(`${buildInfoFile} is not from a \`spanweave build\` of spanweave ${version}: deleted, so that tsc emits every file`);
      rmSync(buildInfoFile);
      return new WovenState(buildInfoFile, undefined);
    }
    return new WovenState(buildInfoFile, recorded);
  }

  record(file: string, diagnostics: readonly WeaveDiagnostic[]): void {
    this.diagnostics.set(file, diagnostics);
  }

  /** The diagnostics of every file woven and still emitted (by `isEmitted`), in file order. */
  current(isEmitted: (file: string) => boolean): WeaveDiagnostic[] {
    return [...this.diagnostics].filter(([file]) => isEmitted(file)).sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([, diagnostics]) => diagnostics);
  }

  /** Records the state with the .tsbuildinfo tsc has just written. */
  save(): void {
    if (this.buildInfoFile === undefined || !existsSync(this.buildInfoFile)) return;
    const record: SavedState = { spanweave: version, buildInfo: hashOf(this.buildInfoFile), diagnostics: Object.fromEntries(this.diagnostics) };
    writeFileSync(`${this.buildInfoFile}.spanweave`, `${JSON.stringify(record)}\n`);
  }
}

function readRecord(file: string): SavedState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SavedState;
  } catch {
    return undefined;
  }
}

/** Loads node:crypto (a few ms) only for an incremental build, the one kind that hashes. */
function hashOf(file: string): string {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
