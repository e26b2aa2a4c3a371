import { relative } from 'node:path';
import { encode } from '@jridgewell/sourcemap-codec';
import MagicString from 'magic-string';
import type { Comment, Program } from 'oxc-parser';
import { RUNTIME_MODULES, type RuntimeModule } from '../runtime-import.js';
import { processGlobals } from '../scope.js';
import { DiagnosticCode } from '../diagnostics.js';
import { messages } from '../messages.js';
import { lineColumn, lineEnd } from '../utils/line-column.js';
import { firstTagPosition, isStackOverflow } from '../utils/stack-overflow.js';
import { Editor } from './emit.js';
import { parse, type Parsed, type ReadNow } from './parse.js';
import { planAndEdit, statementsToRead, type PlanDiagnostic } from './plan.js';

/**
 * The transform core that needs no compiler: it reads a TypeScript or JavaScript file, finds the
 * tags, and wraps the tagged functions with text edits (magic-string) and a source map, leaving
 * types to whatever strips them. Build tools (through their plugins in adapters/) hand it TypeScript
 * source; the TypeScript 7 command hands it the JavaScript that `tsc` 7 emitted.
 */
export interface WeaveOptions {
  /** Whether every named function of this file is traced as if tagged `@traced` (the traceAll option). */
  readonly traceAll?: boolean;
  /**
   * How the runtime is added: `esm` an `import * as`, `commonjs` a `require`. Default: from the
   * file (its import/export statements, its extension, its use of `require`/`exports`).
   */
  readonly format?: 'esm' | 'commonjs';
  /** A traced async function's span stays active across each `await` (the transformer's option awaitContext). */
  readonly awaitContext?: boolean;
  /** Whether to make the source map (a fifth of a weave's time); default true. */
  readonly sourceMap?: boolean;
}

/** A diagnostic of the core, with the same codes and messages as the compiler plugin's. */
export interface WeaveDiagnostic {
  readonly fileName: string;
  /** UTF-16 offset and length in the woven file's text. */
  readonly start: number;
  readonly length: number;
  /** 1-based line and column of `start`. */
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly code: number;
  readonly category: 'error' | 'warning';
}

export interface SourceMap {
  version: number;
  file?: string;
  sources: string[];
  sourcesContent?: (string | null)[];
  names: string[];
  mappings: string;
}

export interface WeaveResult {
  /** The file with the tagged functions wrapped (the input's text where nothing was). */
  readonly code: string;
  /** From the input's text to `code`; `sources` is `[fileName]`. Undefined where the options' `sourceMap` is false. */
  readonly map: SourceMap | undefined;
  readonly diagnostics: readonly WeaveDiagnostic[];
  /** Whether `code` differs from the input. */
  readonly changed: boolean;
}

/**
 * Weaves one file. Returns undefined, before any parsing, for a file that does not mention a tag
 * (and is not traceAll), and for one that does not parse (the tool reports its syntax error).
 */
export function weave(fileName: string, code: string, options: WeaveOptions = {}): WeaveResult | undefined {
  if (!options.traceAll && !code.includes('traced')) return undefined;
  // traceAll plans for every function: every statement is read.
  return weaveReading(fileName, code, options, options.traceAll ? undefined : statementsToRead(code));
}

/** `weave`, with `readNow` choosing the top-level statements parsed before the plan's walk (all where undefined): the tests weave both ways. */
export function weaveReading(fileName: string, code: string, options: WeaveOptions, readNow: ReadNow | undefined): WeaveResult | undefined {
  const { lang, parsed } = parseFile(fileName, code, readNow);
  if (!parsed.ok) return undefined;
  const output = new MagicString(code);
  const runtimes = new Map<RuntimeModule, string>();
  const runtimeName = (module: RuntimeModule): string => {
    let name = runtimes.get(module);
    if (name === undefined) runtimes.set(module, (name = unusedName(code, RUNTIME_MODULES[module].localName)));
    return name;
  };
  const position = lineColumn(code);
  let found: PlanDiagnostic[];
  try {
    found = planAndEdit(
      { fileName, text: code, lang, program: parsed.program, comments: parsed.comments, deferred: parsed.deferred, traceAll: options.traceAll ?? false, awaitContext: options.awaitContext, globals: () => (globals ??= processGlobals()) },
      new Editor(code, output, lang === 'ts' || lang === 'tsx'),
      runtimeName,
    );
  } catch (error) {
    if (!isStackOverflow(error)) throw error;
    const start = firstTagPosition(code);
    const tooDeep = { fileName, start, length: 0, message: `spanweave: ${messages.nestedTooDeep}`, code: DiagnosticCode.cannotTrace, category: 'error' as const };
    return { code, map: undefined, diagnostics: [{ ...tooDeep, ...position(start) }], changed: false };
  }
  if (runtimes.size > 0) addRuntimeImports(output, parsed.program, parsed.comments, code, runtimes, options.format ?? formatOf(fileName, parsed.program, parsed.comments, code));
  const changed = output.hasChanged();
  return {
    code: changed ? output.toString() : code,
    map: options.sourceMap === false ? undefined : sourceMap(output, code, fileName, parsed.comments),
    diagnostics: found.map((d) => ({ fileName, ...d, ...position(d.start) })),
    changed,
  };
}

let globals: ReadonlySet<string> | undefined;

/**
 * The file parsed in its extension's language; a `.js` file that does not parse so, as JSX, which
 * tools are often told to read in `.js` files (esbuild's `loader: { '.js': 'jsx' }`, swc's `jsx`).
 */
function parseFile(fileName: string, code: string, readNow: ReadNow | undefined): { lang: 'ts' | 'tsx' | 'js' | 'jsx'; parsed: Parsed } {
  const lang = languageOf(fileName);
  const parsed = parse(fileName, code, lang, readNow);
  return parsed.ok || lang !== 'js' ? { lang, parsed } : { lang: 'jsx', parsed: parse(fileName, code, 'jsx', readNow) };
}

function languageOf(fileName: string): 'ts' | 'tsx' | 'js' | 'jsx' {
  const extension = /\.[cm]?([jt]sx?)$/.exec(fileName)?.[1];
  return extension === 'tsx' || extension === 'js' || extension === 'jsx' ? extension : 'ts';
}

/** `base_1`, or the next free number: a name the file's text does not contain anywhere. */
function unusedName(code: string, base: string): string {
  for (let n = 1; ; n++) if (!code.includes(`${base}_${n}`)) return `${base}_${n}`;
}

/** ES module syntax, else the extension, else CommonJS where the code (outside its comments) uses `require` or `exports`. */
function formatOf(fileName: string, program: Program, comments: readonly Comment[], code: string): 'esm' | 'commonjs' {
  const moduleSyntax = program.body.some((s) => s.type === 'ImportDeclaration' || s.type === 'ExportNamedDeclaration' || s.type === 'ExportDefaultDeclaration' || s.type === 'ExportAllDeclaration');
  if (moduleSyntax || /\.m[jt]sx?$/.test(fileName)) return 'esm';
  if (/\.c[jt]sx?$/.test(fileName)) return 'commonjs';
  let uncommented = '';
  let from = 0;
  for (const comment of comments) {
    uncommented += `${code.slice(from, comment.start)} `;
    from = comment.end;
  }
  return /\brequire\s*\(|\bexports\b/.test(uncommented + code.slice(from)) ? 'commonjs' : 'esm';
}

const JSX_PRAGMA = /@jsx(?:ImportSource|Runtime|Frag)?\b/;


/**
 * `import * as name from "spanweave/runtime..."` (or a `require` for CommonJS), one per module,
 * after the byte order mark (`tsc`'s emitBOM), the hashbang, a JSX pragma and the file's directives
 * and on their line, so that no line moves.
 */
function addRuntimeImports(output: MagicString, program: Program, comments: readonly Comment[], code: string, runtimes: ReadonlyMap<RuntimeModule, string>, format: 'esm' | 'commonjs'): void {
  const afterMark = code.startsWith('\uFEFF') ? 1 : 0;
  let at = code.startsWith('#!', afterMark) ? lineEnd(code, afterMark) : afterMark;
  // A JSX pragma (`/** @jsxImportSource preact */`) counts only among the comments that open the file.
  const firstStatement = program.body[0]?.start ?? code.length;
  for (const comment of comments) {
    if (comment.end > firstStatement) break; // the comments come in the file's order
    if (JSX_PRAGMA.test(comment.value)) at = Math.max(at, comment.end);
  }
  for (const statement of program.body) {
    if (statement.type !== 'ExpressionStatement' || !statement.directive) break;
    at = statement.end;
  }
  const separator = at > afterMark && !/[;\r\n\u2028\u2029]/.test(code[at - 1]!) ? ';' : '';
  const statements = [...runtimes].map(([module, name]) => {
    const specifier = JSON.stringify(RUNTIME_MODULES[module].specifier);
    return format === 'esm' ? `import * as ${name} from ${specifier};` : `const ${name} = require(${specifier});`;
  });
  output.prependLeft(at, separator + statements.join(''));
}

/**
 * A source map segment at the start of each word outside comments (a name, keyword or number):
 * where stack traces and tools look (a call's name, `new`, `throw`), as many as the nodes that
 * start there, at a fraction of the cost of a segment at every word boundary and space
 * (magic-string's `hires: 'boundary'`), and found in the text, so the walk need not see every node.
 */
function markWords(output: MagicString, code: string, comments: readonly Comment[]): void {
  let inWord = false;
  let comment = 0;
  for (let at = 0; at < code.length; at++) {
    if (comment < comments.length && at === comments[comment]!.start) {
      at = comments[comment++]!.end - 1;
      inWord = false;
      continue;
    }
    const c = code.charCodeAt(at);
    const wordCharacter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c > 127;
    if (wordCharacter && !inWord) output.addSourcemapLocation(at);
    inWord = wordCharacter;
  }
}

/**
 * The map of the woven text: a segment at each line's start, each edit and each word (markWords).
 * Text inserted at the start of a line (the runtime's import, a closing before a line's first
 * `}`) maps to where it was inserted: magic-string maps no inserted text, and a tool that chains
 * its own map through this one (webpack after ts-loader) keeps the woven file as a second source
 * for any column it cannot find here.
 */
function sourceMap(output: MagicString, code: string, fileName: string, comments: readonly Comment[]): SourceMap {
  markWords(output, code, comments);
  const map = output.generateDecodedMap({ source: fileName, includeContent: true });
  for (const line of map.mappings) {
    const first = line[0];
    if (first !== undefined && first[0] > 0 && first.length >= 4) line.unshift([0, first[1]!, first[2]!, first[3]!]);
  }
  return { version: 3, file: map.file, sources: map.sources, sourcesContent: map.sourcesContent, names: map.names, mappings: encode(map.mappings) };
}


/** Diagnostics as `tsc` prints them, paths relative to `directory`, one per line. */
export function formatDiagnostics(diagnostics: readonly WeaveDiagnostic[], directory = process.cwd()): string {
  return diagnostics.map((d) => `${relative(directory, d.fileName)}(${d.line},${d.column}): ${d.category} TS${d.code}: ${d.message}\n`).join('');
}
