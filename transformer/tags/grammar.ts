/**
 * The `@traced` tag grammar, independent of TypeScript:
 *
 *   @traced [grpc.server | grpc.client] [public] [name=<span name>] [metadata=<key>,...] [attr.<key>=<expression>]...
 *   @untraced
 *
 * Options are separated by white space; a value runs to the next white space outside quotes,
 * parentheses, brackets and braces, so `attr.total=(a + b)` and `name="checkout submit"` work.
 */

/** A piece of tag text with the file position of each of its characters, for diagnostics. */
export interface TagText {
  readonly text: string;
  /** positions[i] is the file position of text[i]; positions[text.length] is the end. */
  readonly positions: readonly number[];
}

export interface AttributeOption {
  readonly key: string;
  readonly expression: string;
  /** File position of the expression's first character. */
  readonly pos: number;
}

export type TagKind = 'internal' | 'grpc.server' | 'grpc.client';

export interface TracedTag {
  readonly kind: TagKind;
  readonly name?: string;
  /** `public` (server kinds): the caller is not trusted. */
  readonly public: boolean;
  /** `metadata=a,b` (gRPC kinds): metadata keys recorded as attributes. */
  readonly metadata?: readonly string[];
  readonly attributes: readonly AttributeOption[];
  /** File position of the `@` of the tag. */
  readonly pos: number;
}

export interface GrammarProblem {
  readonly pos: number;
  readonly length: number;
  readonly message: string;
}

const KINDS: readonly TagKind[] = ['grpc.server', 'grpc.client'];
/** Kinds and options that the contract names but this version does not emit yet. */
const PLANNED_WORDS = ['http.server', 'http.client', 'producer', 'consumer'];
const PLANNED_KEYS = ['from', 'into'];
const KNOWN_WORDS = [...KINDS, 'public', ...PLANNED_WORDS];
const KNOWN_KEYS = ['name', 'metadata', ...PLANNED_KEYS];
const METADATA_KEY = /^[0-9a-z_.-]+$/;
const ATTRIBUTE_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseTracedTag(tagPos: number, body: TagText): { tag?: TracedTag; problems: GrammarProblem[] } {
  const problems: GrammarProblem[] = [];
  const attributes: AttributeOption[] = [];
  const seenKeys = new Set<string>();
  let name: string | undefined;
  let kind: TagKind = 'internal';
  let isPublic = false;
  let metadata: string[] | undefined;

  for (const token of tokenize(body, problems)) {
    const report = (message: string, at = token.start, length = token.text.length): void => {
      problems.push({ pos: body.positions[at] ?? tagPos, length, message });
    };
    const eq = token.text.indexOf('=');
    if (eq < 0) {
      const word = token.text;
      if ((KINDS as readonly string[]).includes(word)) {
        if (kind !== 'internal') report(`A tag has one kind, but '${kind}' and '${word}' are both given. Keep one.`);
        else kind = word as TagKind;
      } else if (word === 'public') {
        isPublic = true;
      } else if (PLANNED_WORDS.includes(word)) {
        report(`'${word}' is not supported by this version of spanweave yet. Remove it to get an INTERNAL span.`);
      } else {
        report(`Unknown @traced option '${word}'.${suggest(word, KNOWN_WORDS)} ${OPTIONS_HINT}`);
      }
      continue;
    }
    const key = token.text.slice(0, eq);
    const value = unquote(token.text.slice(eq + 1));
    if (seenKeys.has(key)) {
      report(`'${key}=' is given twice. Keep one.`);
      continue;
    }
    seenKeys.add(key);
    if (value === '') {
      report(`'${key}=' has no value. Write ${key}=<value> with no space after '='.`);
    } else if (key === 'name') {
      name = value;
    } else if (key === 'metadata') {
      metadata = value.split(',').map((k) => k.trim().toLowerCase());
      const bad = metadata.find((k) => !METADATA_KEY.test(k));
      if (bad !== undefined) report(`'${bad}' is not a metadata key. Write metadata=key1,key2 with lowercase keys.`);
    } else if (key.startsWith('attr.')) {
      const attributeKey = key.slice('attr.'.length);
      if (!ATTRIBUTE_KEY.test(attributeKey)) {
        report(`'${attributeKey}' is not a valid attribute key. Use letters, digits, '_', '-' and '.', as in attr.user.id=req.userId.`, token.start, eq);
      } else {
        attributes.push({ key: attributeKey, expression: value, pos: body.positions[token.start + eq + 1] ?? tagPos });
      }
    } else if (PLANNED_KEYS.includes(key)) {
      report(`'${key}=' is not supported by this version of spanweave yet.`);
    } else {
      report(`Unknown @traced option '${key}='.${suggest(key, [...KNOWN_KEYS, 'attr.<key>'])} ${OPTIONS_HINT}`, token.start, eq + 1);
    }
  }
  if (isPublic && kind !== 'grpc.server') problems.push({ pos: tagPos, length: 7, message: "'public' is for server kinds: it applies to grpc.server. Remove it or add grpc.server." });
  if (attributes.length > 0 && kind === 'grpc.client') problems.push({ pos: tagPos, length: 7, message: "'attr.' reads a function's parameters, but grpc.client marks a client construction. Remove it." });
  if (metadata && kind === 'internal') problems.push({ pos: tagPos, length: 7, message: "'metadata=' is for gRPC kinds. Remove it or add grpc.server / grpc.client." });
  if (problems.length > 0) return { problems };
  return { tag: { kind, name, public: isPublic, metadata, attributes, pos: tagPos }, problems };
}

const OPTIONS_HINT = 'Options are a kind (grpc.server, grpc.client), public, name=<span name>, metadata=<keys> and attr.<key>=<expression>.';

interface Token {
  readonly text: string;
  readonly start: number;
}

const CLOSING: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

function tokenize(body: TagText, problems: GrammarProblem[]): Token[] {
  const { text } = body;
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    const start = i;
    const expected: string[] = [];
    let quote: string | undefined;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (quote !== undefined) {
        if (c === '\\') i++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'" || c === '`') {
        quote = c;
      } else if (c in CLOSING) {
        expected.push(CLOSING[c]!);
      } else if (c === expected[expected.length - 1]) {
        expected.pop();
      } else if (expected.length === 0 && /\s/.test(c)) {
        break;
      }
    }
    if (quote !== undefined || expected.length > 0) {
      const missing = quote ?? expected[expected.length - 1];
      problems.push({
        pos: body.positions[start]!,
        length: i - start,
        message: `Unclosed ${quote !== undefined ? 'quote' : 'bracket'}: '${missing}' is missing in '${text.slice(start, i)}'.`,
      });
    }
    tokens.push({ text: text.slice(start, i), start });
  }
  return tokens;
}

function unquote(value: string): string {
  const first = value[0];
  if ((first === '"' || first === "'") && value.length >= 2 && value[value.length - 1] === first) return value.slice(1, -1);
  return value;
}

function suggest(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best === undefined ? '' : ` Did you mean '${best}'?`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
