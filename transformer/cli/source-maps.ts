import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { SourceMap } from '../weave/index.js';

type Remapping = (map: SourceMap, loader: (source: string) => SourceMap | null, options: { excludeContent: boolean }) => SourceMap;
// Typed here: the package's own declaration file does not parse (`export = function …;`).
const remapping = require('@jridgewell/remapping') as Remapping;

/** The source map tsc emitted with a JavaScript file: a `.map` file, or inline in the file. */
export interface EmittedMap {
  readonly map: SourceMap;
  /** The `.map` file; undefined for an inline map. */
  readonly file: string | undefined;
  /** The map comment's URL as tsc wrote it. */
  readonly url: string;
}

const MAP_COMMENT = /\n?\/\/# sourceMappingURL=(\S+)\s*$/;
const INLINE = /^data:application\/json;(?:charset=utf-8;)?base64,(.*)$/;

export function readEmittedMap(jsFile: string, code: string): EmittedMap | undefined {
  const url = MAP_COMMENT.exec(code)?.[1];
  if (url === undefined) return undefined;
  const inline = INLINE.exec(url)?.[1];
  if (inline !== undefined) return { map: JSON.parse(Buffer.from(inline, 'base64').toString('utf8')) as SourceMap, file: undefined, url };
  const file = resolve(dirname(jsFile), decodeURI(url));
  return existsSync(file) ? { map: JSON.parse(readFileSync(file, 'utf8')) as SourceMap, file, url } : undefined;
}

/**
 * One map from the woven JavaScript to the TypeScript: the weaver's (woven → emitted) through
 * tsc's (emitted → source). The sources' contents are there when tsc put them there (inlineSources).
 */
export function chainMaps(jsFile: string, woven: SourceMap, emitted: SourceMap): SourceMap {
  const name = basename(jsFile);
  const chained = remapping({ ...woven, sources: [name] }, (source) => (source === name ? emitted : null), {
    excludeContent: emitted.sourcesContent === undefined,
  });
  const { sources, sourcesContent, names, mappings } = chained;
  return { version: 3, file: name, sources, ...(sourcesContent ? { sourcesContent } : {}), names, mappings };
}

/** The code with its map comment (at the end, as tsc writes it) pointing at `url`. */
export function withMapComment(code: string, url: string): string {
  return `${code.replace(MAP_COMMENT, '')}\n//# sourceMappingURL=${url}`;
}
