import { readFileSync, statSync } from 'node:fs';
import { rewriteFile } from '../utils/rewrite-file.js';
import { weave, type WeaveDiagnostic } from '../weave/index.js';
import { emittedFormat } from './module-format.js';
import type { NativeProject } from './native-project.js';
import { droppedTagDiagnostics, inSource, type EmittedSource } from './source-diagnostics.js';
import { inlineMapUrl } from '../utils/inline-map.js';
import { chainMaps } from '../utils/chain-maps.js';
import { readEmittedMap, withMapComment } from './source-maps.js';
import { countTags, findTagComments, pairTagComments } from './tag-comments.js';

export interface WovenFile {
  /** Its diagnostics, placed in the TypeScript source where it is known. */
  readonly diagnostics: readonly WeaveDiagnostic[];
  /** Whether the file (and its map) was rewritten. */
  readonly rewritten: boolean;
}

/**
 * Weaves one JavaScript file tsc emitted, in place, with its source map chained to the TypeScript
 * and the map comment kept where tsc put it; reports the tags tsc's emit dropped.
 */
export function weaveEmittedFile(file: string, project: NativeProject, settings: { tracesAll(sourceFile: string): boolean; awaitContext: boolean }, watching: boolean): WovenFile {
  const code = readFileSync(file, 'utf8');
  const sourceFile = project.sourceOf(file);
  const sourceText = sourceFile === undefined ? undefined : readFileSync(sourceFile, 'utf8');
  // The tag comments are paired only where a tag may be missing or a diagnostic must be placed. A
  // source written again since tsc emitted this (watch mode, mid-save) is not what tsc read: its
  // next rebuild reports it.
  const sourceIsNewer = watching && sourceFile !== undefined && statSync(sourceFile).mtimeMs > statSync(file).mtimeMs;
  const mayHaveDropped = sourceText !== undefined && !sourceIsNewer && countTags(sourceText) !== countTags(code);
  const emitted = readEmittedMap(file, code);
  const result = weave(file, code, {
    traceAll: sourceFile !== undefined && settings.tracesAll(sourceFile),
    awaitContext: settings.awaitContext,
    format: emittedFormat(file, sourceFile, project.module),
    sourceMap: emitted !== undefined,
  });
  const needsPairing = mayHaveDropped || (result !== undefined && result.diagnostics.length > 0);
  const source = sourceFile !== undefined && sourceText !== undefined && needsPairing ? emittedSource(sourceFile, sourceText, code) : undefined;
  const diagnostics = [...(source && mayHaveDropped ? droppedTagDiagnostics(source) : []), ...(result?.diagnostics ?? []).map((d) => (source ? inSource(d, source, emitted?.map) : d))].sort(
    (a, b) => (a.fileName === b.fileName ? a.start - b.start : a.fileName < b.fileName ? -1 : 1), // as tsc orders its own
  );
  // In watch mode tsc may have written the file again meanwhile: its next list names it.
  if (!result?.changed || (watching && readFileSync(file, 'utf8') !== code)) return { diagnostics, rewritten: false };
  if (emitted === undefined) {
    rewriteFile(file, result.code);
  } else {
    const map = chainMaps(file, result.map!, emitted.map);
    if (emitted.file !== undefined) rewriteFile(emitted.file, JSON.stringify(map));
    rewriteFile(file, withMapComment(result.code, emitted.file === undefined ? inlineMapUrl(map) : emitted.url));
  }
  return { diagnostics, rewritten: true };
}

function emittedSource(fileName: string, text: string, output: string): EmittedSource {
  const outputComments = findTagComments(output);
  return { fileName, text, output, outputComments, pairing: pairTagComments(findTagComments(text), outputComments) };
}
