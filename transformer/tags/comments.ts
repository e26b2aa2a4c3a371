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

export const TAG = /@(traced|untraced)(?![\w.-])/g;

/**
 * The spanweave tags of a file: those in JSDoc comments, and those mistakenly in other comments.
 * Comments are read from the text rather than from parsed JSDoc, so tags are found whatever the
 * compiler's JSDoc parsing mode (tsc skips JSDoc in .ts files since TypeScript 5.3) and in
 * `transpileModule` and bundlers alike. A file without the word costs one string search.
 */
export interface FileTags {
  /** JSDoc comments holding tags, keyed by the comment's position. */
  readonly comments: Map<number, TagComment>;
  /** Tags that open a `//` or `/* *\/` comment: meant as tags, but not read from there. */
  readonly outsideJsDoc: FoundTag[];
}

export function findTags(tsInstance: typeof ts, file: ts.SourceFile): FileTags {
  const found: FileTags = { comments: new Map(), outsideJsDoc: [] };
  const { text } = file;
  if (!text.includes('traced')) return found;
  const tagsByComment = new Map<number, FoundTag[]>();
  for (const match of text.matchAll(TAG)) {
    const at = match.index;
    const name = match[1] as TagName;
    const start = text.lastIndexOf('/*', at);
    const end = start < 0 ? -1 : text.indexOf('*/', start + 2);
    if (end > at && text[start + 2] === '*' && end !== start + 2) {
      if (!opensLine(text, start + 3, at)) continue; // prose that mentions the tag
      if (!tagsByComment.has(start)) {
        if (!isTrivia(tsInstance, file, start)) continue; // inside a string, template or regex
        tagsByComment.set(start, []);
      }
      tagsByComment.get(start)!.push({ name, pos: at, body: tagBody(text, at + 1 + name.length, end) });
      continue;
    }
    const lineComment = text.lastIndexOf('//', at);
    const opener = end > at ? start + 2 : lineComment >= 0 && !text.slice(lineComment, at).includes('\n') ? lineComment + 2 : -1;
    if (opener >= 0 && opensLine(text, opener, at) && isTrivia(tsInstance, file, opener - 2)) {
      found.outsideJsDoc.push({ name, pos: at, body: { text: '', positions: [at] } });
    }
  }
  for (const [pos, tags] of tagsByComment) found.comments.set(pos, { pos, tags });
  return found;
}

/** The tag comments that document `node`: those before it, after its decorators, and after its `export` (or `export default`). */
export function attachedComments(tsInstance: typeof ts, file: ts.SourceFile, node: ts.Node, comments: ReadonlyMap<number, TagComment>): TagComment[] {
  if (comments.size === 0) return [];
  const positions = [node.pos];
  const decorators = tsInstance.canHaveDecorators(node) ? tsInstance.getDecorators(node) : undefined;
  if (decorators?.length) positions.push(decorators[decorators.length - 1]!.end);
  // After `export` or `export default`: what follows is the declaration (as in the text-edit core's tree).
  const exporting = tsInstance.canHaveModifiers(node) ? tsInstance.getModifiers(node)?.filter((m) => m.kind === tsInstance.SyntaxKind.ExportKeyword || m.kind === tsInstance.SyntaxKind.DefaultKeyword) : undefined;
  if (exporting?.length) positions.push(exporting[exporting.length - 1]!.end);
  const attached: TagComment[] = [];
  for (const position of positions) {
    // A comment on the line of the previous token counts as that token's "trailing" comment.
    const ranges = [...(tsInstance.getTrailingCommentRanges(file.text, position) ?? []), ...(tsInstance.getLeadingCommentRanges(file.text, position) ?? [])];
    for (const range of ranges) {
      const comment = comments.get(range.pos);
      // At position 0 both functions return the file's first comment.
      if (comment && !attached.includes(comment)) attached.push(comment);
    }
  }
  return attached;
}

/** A tag counts only at the start of a comment line: after the opener, or after white space and `*`. */
export function opensLine(text: string, contentStart: number, at: number): boolean {
  for (let i = at - 1; i >= contentStart; i--) {
    const c = text[i]!;
    if (c === '\n' || c === '\r') return true;
    if (c !== '*' && c !== ' ' && c !== '\t') return false;
  }
  return true;
}

export function tagBody(text: string, from: number, commentEnd: number): TagText {
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
