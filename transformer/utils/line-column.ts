/** Line terminators as TypeScript (and ECMAScript) count lines: CRLF, CR, LF, U+2028, U+2029. */
const LINE_BREAK = /\r\n?|[\n\u2028\u2029]/g;

/** 1-based line and column of an offset in `text` (its line starts found on first use). */
export function lineColumn(text: string): (offset: number) => { line: number; column: number } {
  let starts: number[] | undefined;
  return (offset) => {
    starts ??= [0, ...[...text.matchAll(LINE_BREAK)].map((m) => m.index + m[0].length)];
    let line = 0;
    while (line + 1 < starts.length && starts[line + 1]! <= offset) line++;
    return { line: line + 1, column: offset - starts[line]! + 1 };
  };
}

/** Where the line that `from` is on ends, after its line terminator (the text's end if it has none). */
export function lineEnd(text: string, from: number): number {
  const pattern = new RegExp(LINE_BREAK);
  pattern.lastIndex = from;
  const found = pattern.exec(text);
  return found ? found.index + found[0].length : text.length;
}
