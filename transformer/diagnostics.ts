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

/** Where diagnostics go when no ts-patch host collects them: standard error, formatted like tsc's. */
export function printDiagnostic(tsInstance: typeof ts, diagnostic: ts.Diagnostic): void {
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (fileName) => fileName,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => '\n',
  };
  process.stderr.write(tsInstance.formatDiagnostic(diagnostic, host));
}
