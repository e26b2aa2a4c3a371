import type * as ts from 'typescript';

/** spanweave's diagnostic codes, in a range TypeScript does not use. */
export const DiagnosticCode = {
  /** The tag's text breaks the grammar: unknown option, unclosed quote, duplicate key. */
  malformedTag: 95001,
  /** The tag is on something that is not a function, method, class or object literal. */
  notAFunction: 95002,
  /** An `attr.` expression does not parse or reads a name not in scope. */
  badAttribute: 95003,
  /** The function cannot be traced without changing what it does, or has no name. */
  cannotTrace: 95004,
  /** A tag that has no effect where it stands (`@untraced` outside a traced class). */
  noEffect: 95005,
  /** An incremental build over outputs that another spanweave, or none, emitted (build-stamp.ts). */
  staleBuild: 95006,
} as const;

export type Report = (pos: number, length: number, message: string, code: number, category?: ts.DiagnosticCategory) => void;

export function createDiagnostic(
  tsInstance: typeof ts,
  file: ts.SourceFile,
  pos: number,
  length: number,
  message: string,
  code: number,
  category: ts.DiagnosticCategory = tsInstance.DiagnosticCategory.Error,
): ts.Diagnostic {
  return { file, start: pos, length, messageText: `spanweave: ${message}`, category, code, source: 'spanweave' };
}

/**
 * ts-patch keeps a program's plugin diagnostics in one list and appends the whole list to the
 * result of every `program.emit` of that program. The incremental builder (watch, `incremental`,
 * `--build`) emits one file per call and keeps each call's diagnostics as that file's, replaying
 * them (across builds, through .tsbuildinfo) until that file is emitted again: a bad tag's error
 * was also recorded for every file emitted after its own, and outlived the fix of the tag.
 * ts-patch creates the transformer anew for each emit call, after the previous call's result took
 * the list, so the spanweave diagnostics still in it were delivered: take them out.
 */
export function dropDelivered(diagnostics: readonly ts.Diagnostic[], removeDiagnostic: (index: number) => unknown): void {
  for (let index = diagnostics.length - 1; index >= 0; index--) if (diagnostics[index]!.source === 'spanweave') removeDiagnostic(index);
}

/** Diagnostics as `tsc` prints them (paths relative to `directory`), one per line. */
export function formatDiagnostics(tsInstance: typeof ts, diagnostics: readonly ts.Diagnostic[], directory = process.cwd()): string {
  return tsInstance.formatDiagnostics(diagnostics, { getCanonicalFileName: (fileName) => fileName, getCurrentDirectory: () => directory, getNewLine: () => '\n' });
}

/** Where diagnostics go when no ts-patch host collects them: standard error, formatted like tsc's. */
export function printDiagnostic(tsInstance: typeof ts, diagnostic: ts.Diagnostic): void {
  process.stderr.write(formatDiagnostics(tsInstance, [diagnostic]));
}
