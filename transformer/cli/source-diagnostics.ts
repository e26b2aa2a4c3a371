import { DiagnosticCode } from '../diagnostics.js';
import { lineColumn } from '../utils/line-column.js';
import type { SourceMap, WeaveDiagnostic } from '../weave/index.js';
import type { TagComment, TagPairing } from './tag-comments.js';

/** A TypeScript source file and the JavaScript tsc emitted from it, with their tag comments paired. */
export interface EmittedSource {
  readonly fileName: string;
  readonly text: string;
  readonly output: string;
  readonly outputComments: readonly TagComment[];
  readonly pairing: TagPairing;
}

/** A comment's text before it ends with `export` or `export default` (and space). */
const AFTER_EXPORT = /\bexport(?:\s+default)?\s*$/;

/** One diagnostic per source tag comment that tsc left out of the JavaScript. */
export function droppedTagDiagnostics(source: EmittedSource): WeaveDiagnostic[] {
  const position = lineColumn(source.text);
  return source.pairing.dropped.map((comment) => {
    const tag = comment.tags[0]!;
    return {
      fileName: source.fileName,
      start: tag.start,
      length: tag.length,
      ...position(tag.start),
      message: AFTER_EXPORT.test(source.text.slice(0, comment.start))
        ? 'spanweave: tsc leaves a comment between `export` and the declaration out of CommonJS output, so `spanweave build` does not see the tag and nothing is traced. Put the tag before `export`.'
        : 'spanweave: tsc leaves this comment out of the JavaScript, because what it documents has no JavaScript (an overload signature, ' +
          '`declare`, an interface or type member), so `spanweave build` does not see the tag and nothing is traced. Put the tag on the implementation: the declaration with the body.',
      code: DiagnosticCode.noEffect,
      category: 'warning',
    };
  });
}

/**
 * A diagnostic of the woven JavaScript, moved to the TypeScript source: a position in a tag
 * comment to the same place in the source's comment; any other through tsc's source map. It stays
 * on the JavaScript when neither knows the place.
 */
export function inSource(diagnostic: WeaveDiagnostic, source: EmittedSource, emittedMap: SourceMap | undefined): WeaveDiagnostic {
  const start = inSourceComment(diagnostic.start, source) ?? throughMap(diagnostic, source.text, emittedMap);
  return start === undefined ? diagnostic : { ...diagnostic, fileName: source.fileName, start, ...lineColumn(source.text)(start) };
}

function inSourceComment(position: number, source: EmittedSource): number | undefined {
  const comment = source.outputComments.find((candidate) => candidate.start <= position && position < candidate.end);
  const original = comment && source.pairing.sourceOf.get(comment);
  if (!comment || !original) return undefined;
  const outputLines = source.output.slice(comment.start, position).split('\n');
  const line = outputLines.length - 1;
  const column = outputLines[line]!.length;
  const sourceLines = source.text.slice(original.start, original.end).split('\n');
  const lineStart = original.start + sourceLines.slice(0, line).reduce((sum, text) => sum + text.length + 1, 0);
  if (line === 0) return lineStart + column;
  // Emit re-indents a comment's lines: keep the distance from the line's first non-blank character.
  const outputIndent = indent(source.output.slice(position - column, position + 1));
  return lineStart + indent(sourceLines[line] ?? '') + column - outputIndent;
}

const indent = (line: string): number => /^[ \t]*/.exec(line)![0].length;

function throughMap(diagnostic: WeaveDiagnostic, text: string, emittedMap: SourceMap | undefined): number | undefined {
  if (emittedMap === undefined) return undefined;
  // Loaded here, where a diagnostic needs it: most builds never do.
  const { originalPositionFor, TraceMap } = require('@jridgewell/trace-mapping') as typeof import('@jridgewell/trace-mapping');
  const original = originalPositionFor(new TraceMap({ ...emittedMap, version: 3 }), { line: diagnostic.line, column: diagnostic.column - 1 });
  if (original.line === null) return undefined;
  const lineStart = text.split('\n').slice(0, original.line - 1).reduce((sum, line) => sum + line.length + 1, 0);
  return lineStart + original.column;
}
