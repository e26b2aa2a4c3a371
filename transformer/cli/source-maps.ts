import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SourceMap } from '../weave/index.js';

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
  // With `mapRoot` the comment is a URL elsewhere; tsc still writes the map beside the file.
  const file = [resolve(dirname(jsFile), decodeURI(url)), `${jsFile}.map`].find((candidate) => existsSync(candidate));
  return file === undefined ? undefined : { map: JSON.parse(readFileSync(file, 'utf8')) as SourceMap, file, url };
}

/** The code with its map comment (at the end, as tsc writes it) pointing at `url`. */
export function withMapComment(code: string, url: string): string {
  return `${code.replace(MAP_COMMENT, '')}\n//# sourceMappingURL=${url}`;
}
