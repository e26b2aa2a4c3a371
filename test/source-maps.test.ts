/**
 * Source maps of traced code. fixtures/stack is compiled traced (tspc) and untraced (tsc), and
 * fixtures/stack/run.cjs calls each throwing function of a build in a child process run with
 * `node --enable-source-maps`, with no SDK and with one registered: the top frame of every stack
 * must point at the original .ts line and column of the throw, as in the untraced build, and be
 * named as its function (through the compiler plugin and the text-edit core), and the rest of the
 * stack must still name the function and its callers. The source maps themselves are
 * read with node:module's SourceMap: every line of every traced body maps back to itself.
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { join, resolve } from 'node:path';
import type * as ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileWithTsc, compileWithTspc, compileWithWeavedSource, typescript, type Build } from './helpers/compile.js';
import { childSdk, reported, runNode, type NodeRun, type SpanRecord } from './helpers/load-child.js';
import { fixturesDir } from './helpers/paths.js';
import { api } from './helpers/sdk.js';

const project = join(fixturesDir, 'stack');
const sourcePath = join(project, 'src/throwers.ts');
const runnerPath = join(project, 'run.cjs');
const sourceText = readFileSync(sourcePath, 'utf8');

/** Each scenario of run.cjs: the traced function, and where its error is made (a unique snippet of throwers.ts and the token in it V8 reports). */
const SCENARIOS = {
  sync: { traced: 'syncThrow', site: 'throw new Error(message)', token: 'new' },
  async: { traced: 'asyncThrow', site: 'throw new RangeError(message)', token: 'new' },
  generator: { traced: 'generatorThrow', site: 'throw new TypeError(`generator', token: 'new' },
  method: { traced: 'Ledger.record', site: 'new SyntaxError(`method', token: 'new' },
  arrow: { traced: 'arrowThrow', site: 'box.value.n * 2', token: 'value' },
} as const;
type Scenario = keyof typeof SCENARIOS;
const MODES = ['no SDK', 'SDK registered'] as const;
type Mode = (typeof MODES)[number];
/** The compiler plugin's build (tspc), the text-edit core's (woven source, types stripped), and plain tsc's. */
type Variant = 'traced' | 'woven' | 'untraced';

interface Frame {
  readonly fn: string | undefined;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

let builds: Record<Variant, Build>;
const runs = new Map<string, NodeRun>();

beforeAll(() => {
  builds = { traced: compileWithTspc(project), woven: compileWithWeavedSource(project), untraced: compileWithTsc(project) };
  for (const variant of Object.keys(builds) as Variant[]) {
    for (const mode of MODES) {
      const preload = mode === 'SDK registered' ? ['--import', childSdk] : [];
      runs.set(`${variant}/${mode}`, runNode(['--enable-source-maps', ...preload, runnerPath, builds[variant].outDir]));
    }
  }
});

function stacks(variant: Variant, mode: Mode): Record<Scenario, string | null> {
  return reported<Record<Scenario, string | null>>(runs.get(`${variant}/${mode}`)!, 'stacks');
}

function framesOf(stack: string | null): Frame[] {
  expect(stack, 'the scenario threw').not.toBeNull();
  const frames: Frame[] = [];
  for (const line of stack!.split('\n')) {
    const match = /^\s+at (?:(.*?) \()?(.+):(\d+):(\d+)\)?$/.exec(line);
    if (match) frames.push({ fn: match[1], file: match[2]!, line: Number(match[3]), column: Number(match[4]) });
  }
  return frames;
}

/** 1-based line and column of `token` inside the one occurrence of `snippet` in throwers.ts. */
function locate(snippet: string, token: string): { line: number; column: number } {
  const at = sourceText.indexOf(snippet);
  if (at < 0 || sourceText.indexOf(snippet, at + 1) >= 0) throw new Error(`'${snippet}' must occur exactly once in throwers.ts`);
  const offset = at + snippet.indexOf(token);
  const { line, character } = typescriptSource().getLineAndCharacterOfPosition(offset);
  return { line: line + 1, column: character + 1 };
}

let parsed: ts.SourceFile | undefined;
function typescriptSource(): ts.SourceFile {
  return (parsed ??= typescript.createSourceFile(sourcePath, sourceText, typescript.ScriptTarget.ES2022, true));
}

it('compiles with and without the plugin', () => {
  expect(builds.traced.output).toBe('');
  expect(builds.untraced.output).toBe('');
  expect(readFileSync(join(builds.traced.outDir, 'throwers.js'), 'utf8')).toMatch(/spanweave\w*\.run\("syncThrow", /);
});

it('every scenario throws in every run, and only the traced build makes spans (one ERROR span per call)', () => {
  for (const [key, run] of runs) {
    expect(run.stderr, key).toBe('');
    expect(run.status, key).toBe(0);
    const thrown = reported<Record<Scenario, string | null>>(run, 'stacks');
    for (const scenario of Object.keys(SCENARIOS) as Scenario[]) expect(thrown[scenario], `${key}: ${scenario}`).toEqual(expect.any(String));
  }
  const spans = reported<SpanRecord[]>(runs.get('traced/SDK registered')!, 'spans');
  expect(spans.map((s) => s.name).sort()).toEqual(Object.values(SCENARIOS).map((s) => s.traced).sort());
  for (const span of spans) expect(span.status.code, span.name).toBe(api.SpanStatusCode.ERROR);
  expect(reported<SpanRecord[]>(runs.get('untraced/SDK registered')!, 'spans')).toEqual([]);
});

for (const mode of MODES) {
  describe(`node --enable-source-maps, ${mode}`, () => {
    for (const [scenario, { traced, site, token }] of Object.entries(SCENARIOS) as [Scenario, (typeof SCENARIOS)[Scenario]][]) {
      it(`${scenario}: the top frame is the original .ts line and column of the throw, as untraced`, () => {
        const expected = { file: sourcePath, ...locate(site, token) };
        const [tracedTop] = framesOf(stacks('traced', mode)[scenario]);
        const [untracedTop] = framesOf(stacks('untraced', mode)[scenario]);
        expect({ file: untracedTop?.file, line: untracedTop?.line, column: untracedTop?.column }, 'untraced').toEqual(expected);
        expect({ file: tracedTop?.file, line: tracedTop?.line, column: tracedTop?.column }, 'traced').toEqual(expected);
      });

      it(`${scenario}: the top frame is named as the untraced function's, on both paths`, () => {
        // V8 names a method call's frame after its receiver's type too (`Object.`, `Ledger.`); the body's inner arrow is called with none.
        const name = (variant: Variant): string | undefined => framesOf(stacks(variant, mode)[scenario])[0]?.fn?.split('.').pop();
        expect(name('untraced')).toBe(traced.split('.').pop());
        expect(name('traced')).toBe(name('untraced'));
        expect(name('woven')).toBe(name('untraced'));
      });

      it(`${scenario}: the rest of the stack still names ${traced} and its callers, as untraced`, () => {
        const stack = stacks('traced', mode)[scenario]!;
        const frames = framesOf(stack);
        const callers = (all: Frame[]): Frame[] => all.filter((f) => f.file === runnerPath);
        expect(callers(frames), stack).toEqual(callers(framesOf(stacks('untraced', mode)[scenario])));
        const names = (f: Frame): boolean => f.file === sourcePath && f.fn !== undefined && (f.fn === traced || f.fn.endsWith(`.${traced}`) || f.fn.endsWith(` ${traced}`));
        expect(frames.some(names), `a frame of ${traced} in throwers.ts:\n${stack}`).toBe(true);
        expect(stack, 'every frame in compiled fixture code is mapped to the .ts source').not.toMatch(/throwers\.js/);
      });
    }
  });
}

describe('the source map', () => {
  interface Segment {
    readonly generated: number; // offset in the emitted JavaScript
    readonly original: number; // offset in throwers.ts
  }

  /** Every mapping segment of throwers.js, found by asking node:module's SourceMap at each position. */
  function segmentsOf(build: Build, mapOf: Build): { js: string; segments: Segment[] } {
    const js = readFileSync(join(build.outDir, 'throwers.js'), 'utf8');
    const payload = JSON.parse(readFileSync(join(mapOf.outDir, 'throwers.js.map'), 'utf8')) as SourceMapPayload;
    expect(payload.sources.map((s) => resolve(mapOf.outDir, payload.sourceRoot, s))).toEqual([sourcePath]);
    const map = new SourceMap(payload);
    const lines = js.split('\n');
    const lineStarts = lines.map((_, i) => lines.slice(0, i).reduce((n, l) => n + l.length + 1, 0));
    const segments: Segment[] = [];
    lines.forEach((line, lineIndex) => {
      for (let column = 0; column <= line.length; column++) {
        const entry = map.findEntry(lineIndex, column);
        if (!('generatedLine' in entry) || entry.generatedLine !== lineIndex || entry.generatedColumn !== column) continue;
        segments.push({
          generated: lineStarts[lineIndex]! + column,
          original: typescriptSource().getPositionOfLineAndCharacter(entry.originalLine, entry.originalColumn),
        });
      }
    });
    return { js, segments };
  }

  /** The token at an offset: a word, a number, white space (any), or one other character. */
  function tokenAt(text: string, offset: number): string {
    const match = /[A-Za-z_$][\w$]*|\d+|\s+|[^\s\w$]/y;
    match.lastIndex = offset;
    const token = match.exec(text)?.[0] ?? '';
    return /^\s+$/.test(token) ? ' ' : token;
  }

  /** The inside of each traced body in throwers.ts: a block without its braces, or a concise body. */
  function tracedBodies(): { name: string; start: number; end: number }[] {
    const bodies: { name: string; start: number; end: number }[] = [];
    const file = typescriptSource();
    const visit = (node: ts.Node): void => {
      const traced = typescript.isFunctionDeclaration(node) || typescript.isMethodDeclaration(node) || (typescript.isArrowFunction(node) && typescript.isVariableDeclaration(node.parent));
      if (!traced) return typescript.forEachChild(node, visit);
      const name = typescript.isArrowFunction(node) ? (node.parent as ts.VariableDeclaration).name.getText(file) : node.name!.getText(file);
      const body = node.body!;
      const start = body.getStart(file);
      if (typescript.isBlock(body)) bodies.push({ name, start: start + 1, end: body.end - 1 });
      else bodies.push({ name, start, end: body.end });
    };
    visit(file);
    return bodies;
  }

  it('throwers.ts has the five traced bodies the check below walks', () => {
    expect(tracedBodies().map((b) => b.name)).toEqual(['syncThrow', 'asyncThrow', 'generatorThrow', 'record', 'arrowThrow']);
  });

  /**
   * Problems with the mappings into traced bodies, and how many body lines were checked: each
   * line's first token must be the target of a segment at that same token in the output, and
   * every segment into a body must be at the same token in the output, except the runtime call,
   * which maps to the start of a concise body.
   */
  function checkBodies(js: string, segments: readonly Segment[], traced: boolean): { problems: string[]; lines: Record<string, number> } {
    const problems: string[] = [];
    const lines: Record<string, number> = {};
    const where = (offset: number): string => {
      const { line, character } = typescriptSource().getLineAndCharacterOfPosition(offset);
      return `throwers.ts:${line + 1}:${character + 1} '${sourceText.slice(offset, offset + 12).split('\n')[0]}'`;
    };
    for (const body of tracedBodies()) {
      lines[body.name] = 0;
      const inside = segments.filter((s) => s.original >= body.start && s.original < body.end);
      for (let lineStart = body.start; lineStart < body.end; ) {
        const newline = sourceText.indexOf('\n', lineStart);
        const lineEnd = newline < 0 ? body.end : Math.min(newline, body.end);
        const text = sourceText.slice(lineStart, lineEnd);
        const first = lineStart + (text.length - text.trimStart().length);
        if (first < lineEnd) {
          lines[body.name]! += 1;
          if (!inside.some((s) => s.original === first && tokenAt(js, s.generated) === tokenAt(sourceText, first))) problems.push(`${body.name}: no mapping to ${where(first)}`);
        }
        lineStart = lineEnd + 1;
      }
      for (const segment of inside) {
        const generated = tokenAt(js, segment.generated);
        if (generated === tokenAt(sourceText, segment.original)) continue;
        if (traced && /^spanweave\w*$/.test(generated) && segment.original === body.start) continue;
        problems.push(`${body.name}: output '${js.slice(segment.generated, segment.generated + 12).split('\n')[0]}' maps to ${where(segment.original)}`);
      }
    }
    return { problems, lines };
  }

  const BODY_LINES = { syncThrow: 3, asyncThrow: 3, generatorThrow: 3, record: 3, arrowThrow: 1 };

  for (const variant of ['traced', 'untraced'] as const) {
    it(`${variant}: every line of every traced body maps back to itself`, () => {
      const { js, segments } = segmentsOf(builds[variant], builds[variant]);
      const { problems, lines } = checkBodies(js, segments, variant === 'traced');
      expect(lines).toEqual(BODY_LINES);
      expect(problems).toEqual([]);
    });
  }

  it('the check above fails for a wrong map (the traced output read with the untraced map)', () => {
    const { js, segments } = segmentsOf(builds.traced, builds.untraced);
    expect(checkBodies(js, segments, true).problems.length).toBeGreaterThan(0);
  });
});
