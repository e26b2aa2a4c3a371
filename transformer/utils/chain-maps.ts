import { basename } from 'node:path';
import { decode, encode, type SourceMapSegment } from '@jridgewell/sourcemap-codec';
import type { SourceMap } from '../weave/index.js';

/**
 * One map from the woven file to its source: the weaver's map (woven → `file` as it was handed
 * over) through the map of whatever made `file` (tsc's emit, an earlier loader).
 *
 * The weave inserts and replaces text within the lines it touches and moves nothing, so its map
 * says, line by line, how far each column of `file` moved. Each segment of `emitted` keeps its
 * source position and moves its column so; its sources, their contents and names stay as they are.
 */
export function chainMaps(file: string, woven: SourceMap, emitted: SourceMap): SourceMap {
  const moves = decode(woven.mappings);
  const lines = decode(emitted.mappings).map((segments, line) => moved(segments, moves[line] ?? []));
  return { ...emitted, version: 3, file: basename(file), mappings: encode(lines) };
}

/**
 * `segments` (of one line of `file`) at their columns in the woven line. `moves` are the weave's
 * segments of that line: woven column, source, line, column in `file`, in the order of both.
 */
function moved(segments: readonly SourceMapSegment[], moves: readonly SourceMapSegment[]): SourceMapSegment[] {
  const result: SourceMapSegment[] = [];
  let at = -1; // the last move at or before the segment's column
  let previous = -1;
  for (const segment of segments) {
    const column = segment[0];
    while (at + 1 < moves.length && moves[at + 1]![3]! <= column) at++;
    let to = at < 0 ? column : moves[at]![0] + column - moves[at]![3]!;
    // A column inside text the weave replaced with shorter text: the replacement's last column.
    const next = moves[at + 1];
    if (next !== undefined && to >= next[0]) to = next[0] - 1;
    if (to <= previous) continue;
    previous = to;
    result.push([to, ...segment.slice(1)] as SourceMapSegment);
  }
  // A line mapped from its start stays so where the weave inserted text there (as the weave's own map).
  const first = result[0];
  if (first !== undefined && first[0] > 0 && segments[0]?.[0] === 0) result.unshift([0, ...first.slice(1)] as SourceMapSegment);
  return result;
}
