import { basename } from 'node:path';
import type { SourceMap } from '../weave/index.js';

type Remapping = (map: SourceMap, loader: (source: string) => SourceMap | null, options: { excludeContent: boolean }) => SourceMap;
// Typed here: the package's own declaration file does not parse (`export = function …;`).
// Loaded on first use: a build without source maps never chains one.
let remapping: Remapping | undefined;

/**
 * One map from the woven file to its source: the weaver's (woven → `file` as it was handed over)
 * through the map of whatever made `file` (tsc's emit, an earlier loader). The sources' contents are
 * there where that map has them (tsc's inlineSources).
 */
export function chainMaps(file: string, woven: SourceMap, emitted: SourceMap): SourceMap {
  const name = basename(file);
  remapping ??= require('@jridgewell/remapping') as Remapping;
  const chained = remapping({ ...woven, sources: [name] }, (source) => (source === name ? emitted : null), {
    excludeContent: emitted.sourcesContent === undefined,
  });
  const { sources, sourcesContent, names, mappings } = chained;
  return { version: 3, file: name, sources, ...(sourcesContent ? { sourcesContent } : {}), names, mappings };
}
