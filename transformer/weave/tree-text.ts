/**
 * The top-level statements of oxc-parser's syntax tree, found in its JSON text without parsing it.
 * In that text every node is an object that opens with `{"type":"` and closes with
 * `"start":S,"end":E}`, and a string value's quotes are escaped, so those two only ever match the
 * tree's own structure: counting them gives each node's depth, and the program's statements are
 * the nodes that open at depth one before its body's `]`.
 */

export interface StatementText {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  /** Where its object is in the JSON text. */
  readonly from: number;
  readonly to: number;
}

const OPEN = '{"type":"';
const PROGRAM_BODY = 'Program","body":[';
// Searched for without its opening quote: a search for a word that starts with `"` stops at every quote of the text.
const CLOSE = 'start":';
const END = ',"end":';

/** The program's statements, and the JSON text with its body emptied; undefined where the text is not laid out so. */
export function topLevelStatements(json: string): { statements: StatementText[]; rest: string } | undefined {
  const program = json.indexOf(OPEN);
  const bodyFrom = program + OPEN.length + PROGRAM_BODY.length;
  if (program < 0 || !json.startsWith(PROGRAM_BODY, program + OPEN.length)) return undefined;
  const statements: StatementText[] = [];
  // The body's `]`, known once its last statement has closed (the hashbang, after it, is the program's too).
  let bodyEnd = json.charCodeAt(bodyFrom) === 93 /* ] */ ? bodyFrom : -1;
  let depth = 0;
  let statementFrom = 0;
  let open = program;
  for (let close = json.indexOf(CLOSE, program); close >= 0; close = json.indexOf(CLOSE, close + CLOSE.length)) {
    for (; open >= 0 && open < close; open = json.indexOf(OPEN, open + OPEN.length)) {
      if (depth === 1 && bodyEnd < 0) statementFrom = open;
      depth++;
    }
    depth--;
    if (depth !== 1 || bodyEnd >= 0) continue;
    const start = numberAt(json, close + CLOSE.length);
    const end = json.startsWith(END, start.next) ? numberAt(json, start.next + END.length) : undefined;
    if (end === undefined || json.charCodeAt(end.next) !== 125 /* } */) return undefined;
    const type = json.slice(statementFrom + OPEN.length, json.indexOf('"', statementFrom + OPEN.length));
    statements.push({ type, start: start.value, end: end.value, from: statementFrom, to: end.next + 1 });
    if (json.charCodeAt(end.next + 1) !== 44 /* , */) bodyEnd = end.next + 1;
  }
  if (depth !== 0 || open >= 0 || bodyEnd < 0) return undefined;
  return { statements, rest: json.slice(0, bodyFrom) + json.slice(bodyEnd) };
}

function numberAt(json: string, from: number): { value: number; next: number } {
  let value = 0;
  let at = from;
  for (let code = json.charCodeAt(at); code >= 48 && code <= 57; code = json.charCodeAt(++at)) value = value * 10 + code - 48;
  return { value, next: at };
}
