/**
 * The JSDoc comments that hold a tag, found by scanning text: TypeScript source, or the JavaScript
 * tsc emitted from it. tsc keeps comments as written (re-indented) but drops those of constructs it
 * erases: overload signatures, `declare`, interface and type members. Pairing a source's tag
 * comments with its output's tells which tags the JavaScript lost, and where a position in an
 * output comment is in the source.
 */
import { opensLine, TAG } from '../tags/comments.js';

export interface TagComment {
  readonly start: number;
  readonly end: number;
  /** The comment's text with white space collapsed, as emit re-indents it. */
  readonly text: string;
  /** The name declared after the comment ('' when none is read): tells equal comments apart. */
  readonly target: string;
  /** Where each tag (`@traced`, `@untraced`) starts, and its length. */
  readonly tags: readonly { readonly start: number; readonly length: number }[];
}

/**
 * How many times the text names a tag, in a comment or not: where a source and its output name
 * them equally often, tsc dropped no tag comment (it keeps comments, and never repeats one).
 */
export function countTags(text: string): number {
  return text.match(TAG)?.length ?? 0;
}

const JSDOC = /\/\*\*(?!\/)[^]*?\*\//g;

export function findTagComments(text: string): TagComment[] {
  const found: TagComment[] = [];
  if (!text.includes('traced')) return found;
  for (const match of text.matchAll(JSDOC)) {
    const start = match.index;
    // The tags as the core and the plugin read them (tags/comments.ts): at the start of a comment line.
    const tags = [...match[0].matchAll(TAG)].map((tag) => ({ start: start + tag.index, length: tag[0].length })).filter((tag) => opensLine(text, start + 3, tag.start));
    const end = start + match[0].length;
    if (tags.length > 0) found.push({ start, end, text: match[0].replace(/\s+/g, ' '), target: declaredName(text, end), tags });
  }
  return found;
}

/** Words before a declaration's name, in TypeScript or JavaScript (CommonJS exports and class fields as tsc emits them: `exports.x =`, `this.x =`). */
const MODIFIER = /^(?:(?:export|default|declare|abstract|async|static|public|private|protected|readonly|override|accessor|function|class|const|let|var|get|set)\b|\*|(?:module\.)?exports\.|this\.)/;

/** The name declared at `from`: past white space, modifiers and decorators (which emit may move). */
function declaredName(text: string, from: number): string {
  let at = from;
  for (;;) {
    while (/\s/.test(text[at] ?? '')) at++;
    const modifier = MODIFIER.exec(text.slice(at, at + 16));
    if (modifier) at += modifier[0].length;
    else if (text[at] === '@') at = pastDecorator(text, at + 1);
    else return /^[#\w$]*/.exec(text.slice(at, at + 200))![0];
  }
}

function pastDecorator(text: string, from: number): number {
  let at = from;
  while (/[\w$.]/.test(text[at] ?? '')) at++;
  if (text[at] !== '(') return at;
  for (let depth = 0; at < text.length; at++) {
    if (text[at] === '(') depth++;
    else if (text[at] === ')' && --depth === 0) return at + 1;
  }
  return at;
}

export interface TagPairing {
  /** Each output comment's source comment. */
  readonly sourceOf: ReadonlyMap<TagComment, TagComment>;
  /** The source comments the output does not have. */
  readonly dropped: readonly TagComment[];
}

/**
 * Pairs equal comments from the end of each file: an erased declaration comes before the one that
 * is kept (overload signatures before the implementation), so the unpaired ones are the erased.
 */
export function pairTagComments(source: readonly TagComment[], output: readonly TagComment[]): TagPairing {
  const sourceOf = new Map<TagComment, TagComment>();
  const dropped: TagComment[] = [];
  for (const [text, sources] of groupByText(source)) {
    const outputs = output.filter((comment) => comment.text === text);
    let next = outputs.length - 1;
    for (let i = sources.length - 1; i >= 0; i--) {
      const candidate = sources[i]!;
      const paired = outputs[next];
      if (paired && (paired.target === candidate.target || paired.target === '' || candidate.target === '')) {
        sourceOf.set(paired, candidate);
        next--;
      } else dropped.unshift(candidate);
    }
  }
  return { sourceOf, dropped: dropped.sort((a, b) => a.start - b.start) };
}

function groupByText(comments: readonly TagComment[]): Map<string, TagComment[]> {
  const groups = new Map<string, TagComment[]>();
  for (const comment of comments) groups.set(comment.text, [...(groups.get(comment.text) ?? []), comment]);
  return groups;
}
