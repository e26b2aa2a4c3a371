import type * as ts from 'typescript';
import type { TagText } from './grammar.js';

export type TagName = 'traced' | 'untraced';

export interface FoundTag {
  readonly name: TagName;
  /** File position of the `@`. */
  readonly pos: number;
  /** The tag's text after its name, up to the next tag or the end of the comment. */
  readonly body: TagText;
}

/** A JSDoc comment that holds at least one spanweave tag. */
export interface TagComment {
  readonly pos: number;
  readonly tags: readonly FoundTag[];
}

const TAG = /@(traced|untraced)(?![\w.-])/g;

/**
 * Every JSDoc comment of the file that holds a spanweave tag, keyed by the comment's position.
 * Comments are read from the text rather than from parsed JSDoc, so tags are found whatever the
 * compiler's JSDoc parsing mode (tsc skips JSDoc in .ts files since TypeScript 5.3) and in
 * `transpileModule` and bundlers alike. A file without the word costs one string search.
 */
export function findTagComments(tsInstance: typeof ts, file: ts.SourceFile): Map<number, TagComment> {
  const comments = new Map<number, TagComment>();
  const { text } = file;
  if (!text.includes('traced')) return comments;
  const tagsByComment = new Map<number, FoundTag[]>();
  for (const match of text.matchAll(TAG)) {
    const at = match.index;
    const start = text.lastIndexOf('/**', at);
    if (start < 0) continue;
    const end = text.indexOf('*/', start + 2);
    if (end < at || end === start + 2) continue; // closed before the tag, or `/**/`
    if (!startsJsDocLine(text, start, at)) continue; // prose that mentions the tag
    if (!tagsByComment.has(start)) {
      if (!isTrivia(tsInstance, file, start)) continue; // inside a string, template or regex
      tagsByComment.set(start, []);
    }
    const name = match[1] as TagName;
    tagsByComment.get(start)!.push({ name, pos: at, body: tagBody(text, at + 1 + name.length, end) });
  }
  for (const [pos, tags] of tagsByComment) comments.set(pos, { pos, tags });
  return comments;
}

/** The tag comments that document `node`: those before it, and those after its decorators. */
export function attachedComments(tsInstance: typeof ts, file: ts.SourceFile, node: ts.Node, comments: ReadonlyMap<number, TagComment>): TagComment[] {
  if (comments.size === 0) return [];
  const positions = [node.pos];
  const decorators = tsInstance.canHaveDecorators(node) ? tsInstance.getDecorators(node) : undefined;
  if (decorators?.length) positions.push(decorators[decorators.length - 1]!.end);
  const attached: TagComment[] = [];
  for (const position of positions) {
    // A comment on the line of the previous token counts as that token's "trailing" comment.
    const ranges = [...(tsInstance.getTrailingCommentRanges(file.text, position) ?? []), ...(tsInstance.getLeadingCommentRanges(file.text, position) ?? [])];
    for (const range of ranges) {
      const comment = comments.get(range.pos);
      if (comment) attached.push(comment);
    }
  }
  return attached;
}

/** A tag counts only at the start of a JSDoc line: after `/**`, or after white space and `*`. */
function startsJsDocLine(text: string, commentStart: number, at: number): boolean {
  for (let i = at - 1; i >= commentStart + 3; i--) {
    const c = text[i]!;
    if (c === '\n' || c === '\r') return true;
    if (c !== '*' && c !== ' ' && c !== '\t') return false;
  }
  return true;
}

function tagBody(text: string, from: number, commentEnd: number): TagText {
  let body = '';
  const positions: number[] = [];
  let i = from;
  let lineStart = false;
  while (i < commentEnd) {
    const c = text[i]!;
    if (c === '\n' || c === '\r') {
      lineStart = true;
      body += ' ';
      positions.push(i);
      i++;
      continue;
    }
    if (lineStart) {
      // Skip the line's indentation and its leading `*`; a line that starts a new tag ends this one.
      while (i < commentEnd && (text[i] === ' ' || text[i] === '\t')) i++;
      if (text[i] === '*' && i < commentEnd) i++;
      let j = i;
      while (j < commentEnd && (text[j] === ' ' || text[j] === '\t')) j++;
      if (text[j] === '@') break;
      lineStart = false;
      continue;
    }
    body += c;
    positions.push(i);
    i++;
  }
  positions.push(i);
  return { text: body, positions };
}

/** Whether `pos` lies between tokens (in a comment) rather than inside a string-like token. */
function isTrivia(tsInstance: typeof ts, file: ts.SourceFile, pos: number): boolean {
  let node: ts.Node = file;
  for (;;) {
    const child = tsInstance.forEachChild(node, (c) => (c.pos <= pos && pos < c.end ? c : undefined));
    if (child === undefined) break;
    node = child;
  }
  const k = tsInstance.SyntaxKind;
  const textToken = [k.StringLiteral, k.NoSubstitutionTemplateLiteral, k.TemplateHead, k.TemplateMiddle, k.TemplateTail, k.RegularExpressionLiteral, k.JsxText];
  return pos < node.getStart(file) || !textToken.includes(node.kind);
}
