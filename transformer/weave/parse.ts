import { parseSync, type Comment, type Node, type OxcError, type ParserOptions, type Program } from 'oxc-parser';
import { topLevelStatements, type StatementText } from './tree-text.js';

/** The native binding under oxc-parser's parseSync (a subpath its package exports, without types): each getter takes its field out of the native result. */
interface NativeResult {
  readonly program: string;
  readonly comments: Comment[];
  readonly errors: OxcError[];
}
const { parseSync: parseSyncNative } = require('oxc-parser/src-js/bindings') as { parseSync(fileName: string, code: string, options: ParserOptions): NativeResult };

export interface Parsed {
  readonly program: Program;
  readonly comments: readonly Comment[];
  readonly ok: boolean;
  /** The top-level statements left as JSON text (see `parse`). */
  readonly deferred: ReadonlySet<Node>;
}

/** Whether a top-level statement, with the comments and space before it (`from` to its end), is parsed at once. */
export type ReadNow = (from: number, to: number) => boolean;

type Path = (string | number)[];

interface JsonTree {
  readonly node?: Program;
  readonly fixes?: Path[];
}

/**
 * The syntax tree and comments of a file, read from oxc-parser's native result as JSON. Its own
 * `parseSync` also converts the file's import/export record to JavaScript objects, which the weave
 * never reads and which cost as much as a third of the parse (500 files: 160 ms against 270 ms).
 * Raw transfer (Node 22 and later) hands the tree over faster once the JIT has warmed to its
 * deserializer, but a build parses each file once, cold: over the first 500 files here it cost
 * 243–278 ms against 147–169 ms for this, and caught up only after about 1,700.
 *
 * Parsing the JSON is most of that, and most statements hold nothing to weave: with `readNow`, a
 * top-level statement it declines stays JSON text, listed in `deferred`, until something reads
 * more of it than its `type`, `start` and `end` (then it is parsed, once).
 */
export function parse(fileName: string, code: string, lang: 'ts' | 'tsx' | 'js' | 'jsx', readNow?: ReadNow): Parsed {
  const native = parseSyncNative(fileName, code, { lang });
  // Read every field the weave needs (each read frees its native memory); `module` is left to the finalizer.
  const ok = native.errors.length === 0;
  const comments = native.comments;
  const json = native.program;
  const split = readNow && topLevelStatements(json);
  const tree = JSON.parse(split ? split.rest : json) as JsonTree;
  // The JSON's shape is oxc-parser's own; should a release change it, its public parse still serves.
  if (tree.node === undefined || tree.fixes === undefined) return { program: parseSync(fileName, code, { lang }).program, comments, ok, deferred: NONE };
  const fixes = tree.fixes;
  if (!split) return { program: withLiteralValues(tree.node, fixes), comments, ok, deferred: NONE };
  const fixesOf = (index: number): Path[] => fixes.filter((path) => path[1] === index).map((path) => path.slice(2));
  const deferred = new Set<Node>();
  let previousEnd = 0;
  tree.node.body = split.statements.map((statement, index) => {
    const now = readNow(previousEnd, statement.end);
    previousEnd = statement.end;
    if (now) return statementNode(json, statement, fixesOf(index));
    const node = deferredStatement(json, statement, () => fixesOf(index));
    deferred.add(node);
    return node;
  }) as Program['body'];
  return { program: tree.node, comments, ok, deferred };
}

const NONE: ReadonlySet<Node> = new Set();

function statementNode(json: string, statement: StatementText, fixes: readonly Path[]): Node {
  return withLiteralValues(JSON.parse(json.slice(statement.from, statement.to)) as Node, fixes);
}

/** A statement read as its type, start and end; any other way of reading it parses it. */
function deferredStatement(json: string, statement: StatementText, fixes: () => readonly Path[]): Node {
  let parsed: Node | undefined;
  const node = (): Node => (parsed ??= statementNode(json, statement, fixes()));
  const known = { type: statement.type, start: statement.start, end: statement.end };
  return new Proxy(known, {
    get: (target, key) => (key === 'type' || key === 'start' || key === 'end' ? target[key] : Reflect.get(node(), key)),
    has: (_target, key) => Reflect.has(node(), key),
    ownKeys: () => Reflect.ownKeys(node()),
    getOwnPropertyDescriptor: (_target, key) => Reflect.getOwnPropertyDescriptor(node(), key),
  }) as unknown as Node;
}

/** The tree with its BigInt and RegExp literals' values, which JSON cannot carry, set where oxc-parser lists them (`fixes`), as its own parse sets them. */
function withLiteralValues<T extends object>(root: T, fixes: readonly Path[]): T {
  for (const path of fixes) setLiteralValue(path.reduce<Record<string | number, unknown>>((node, key) => node[key] as Record<string | number, unknown>, root as Record<string, unknown>));
  return root;
}

/** A BigInt or RegExp literal's value, which JSON cannot carry: oxc-parser lists where they are, as its own parse sets them. */
function setLiteralValue(literal: Record<string, unknown>): void {
  const { bigint, regex } = literal as { bigint?: string; regex?: { pattern: string; flags: string } };
  try {
    literal.value = bigint !== undefined ? BigInt(bigint) : regex && new RegExp(regex.pattern, regex.flags);
  } catch {
    // a pattern this Node's RegExp does not support: its value stays null, as oxc-parser leaves it
  }
}
