import { readFileSync, writeFileSync } from 'node:fs';
import { weave, type WeaveDiagnostic } from '../weave/index.js';
import { emittedFormat } from './module-format.js';
import type { NativeProject } from './native-project.js';
import { droppedTagDiagnostics, inSource, type EmittedSource } from './source-diagnostics.js';
import { inlineMapUrl } from '../utils/inline-map.js';
import { chainMaps } from '../utils/chain-maps.js';
import { readEmittedMap, withMapComment } from './source-maps.js';
import { findTagComments, pairTagComments } from './tag-comments.js';

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
  const source = sourceFile === undefined ? undefined : emittedSource(sourceFile, code);
  const result = weave(file, code, { traceAll: sourceFile !== undefined && settings.tracesAll(sourceFile), awaitContext: settings.awaitContext, format: emittedFormat(file, sourceFile, project.module) });
  const emitted = readEmittedMap(file, code);
  const diagnostics = [...(source ? droppedTagDiagnostics(source) : []), ...(result?.diagnostics ?? []).map((d) => (source ? inSource(d, source, emitted?.map) : d))];
  // In watch mode tsc may have written the file again meanwhile: its next list names it.
  if (!result?.changed || (watching && readFileSync(file, 'utf8') !== code)) return { diagnostics, rewritten: false };
  if (emitted === undefined) {
    writeFileSync(file, result.code);
  } else {
    const map = chainMaps(file, result.map, emitted.map);
    if (emitted.file !== undefined) writeFileSync(emitted.file, JSON.stringify(map));
    writeFileSync(file, withMapComment(result.code, emitted.file === undefined ? inlineMapUrl(map) : emitted.url));
  }
  return { diagnostics, rewritten: true };
}

function emittedSource(fileName: string, output: string): EmittedSource {
  const text = readFileSync(fileName, 'utf8');
  const outputComments = findTagComments(output);
  return { fileName, text, output, outputComments, pairing: pairTagComments(findTagComments(text), outputComments) };
}
