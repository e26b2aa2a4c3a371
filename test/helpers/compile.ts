import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import type * as ts from 'typescript';
import { runAsync } from './load-child.js';
import { freshDir, repoRoot } from './paths.js';

const require = createRequire(import.meta.url);
const typescript = require('typescript') as typeof ts;
const spanweave = (require(join(repoRoot, 'dist/transformer/index.js')) as { default: (...args: unknown[]) => ts.TransformerFactory<ts.SourceFile> }).default;
const core = require(join(repoRoot, 'dist/transformer/weave/index.js')) as typeof import('../../transformer/weave/index.js');
const { globMatcher } = require(join(repoRoot, 'dist/transformer/utils/glob.js')) as typeof import('../../transformer/utils/glob.js');

export interface Build {
  readonly outDir: string;
  /** What the compiler printed (tsc's diagnostics), or the formatted diagnostics of an API build. */
  readonly output: string;
  readonly exitCode: number;
  /** Loads a compiled module of this build (CommonJS) by its path relative to outDir, without extension. */
  load<T = Record<string, unknown>>(module: string): T;
}

function build(outDir: string, output: string, exitCode: number): Build {
  return { outDir, output, exitCode, load: (module) => require(join(outDir, `${module}.js`)) };
}

const tspc = join(repoRoot, 'node_modules/ts-patch/bin/tspc.js');
const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');

/**
 * Compiles a fixture project with ts-patch's `tspc`, which loads the plugin from its tsconfig.
 * Output goes to a fresh directory, or to `outDir` for a fixture that finds files beside it.
 */
export function compileWithTspc(project: string, args: readonly string[] = [], outDir?: string): Build {
  return runCompiler(tspc, project, 'tspc', args, outDir);
}

/** Compiles the same project with plain `tsc`, which ignores `plugins`: the untraced twin. */
export function compileWithTsc(project: string, args: readonly string[] = [], outDir?: string): Build {
  return runCompiler(tsc, project, 'tsc', args, outDir);
}

function runCompiler(bin: string, project: string, label: string, args: readonly string[], outDir = freshDir(`${label}-${project.split('/').pop()}`)): Build {
  const result = spawnSync(process.execPath, [bin, '-p', project, '--outDir', outDir, '--pretty', 'false', ...args], { encoding: 'utf8' });
  return build(outDir, result.stdout + result.stderr, result.status ?? -1);
}

/**
 * Builds every project a solution tsconfig references (`-b`) in one compiler process, each into
 * the outDir its own tsconfig names. Asynchronous, so that a tspc and a tsc build run side by side.
 */
export async function buildSolution(compiler: 'tspc' | 'tsc', solution: string): Promise<{ output: string; exitCode: number }> {
  const run = await runAsync(process.execPath, [compiler === 'tspc' ? tspc : tsc, '-b', solution, '--pretty', 'false']);
  return { output: run.stdout + run.stderr, exitCode: run.status ?? -1 };
}

function parseProject(project: string): ts.ParsedCommandLine {
  const configFile = join(project, 'tsconfig.json');
  const { config } = typescript.readConfigFile(configFile, typescript.sys.readFile);
  return typescript.parseJsonConfigFileContent(config, typescript.sys, project);
}

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => repoRoot,
  getNewLine: () => '\n',
};

/** Compiles with `program.emit(..., { before: [spanweave(program)] })`, the ts-loader / ts-node path. */
export function compileWithProgram(project: string): Build {
  const parsed = parseProject(project);
  const outDir = freshDir(`program-${project.split('/').pop()}`);
  const program = typescript.createProgram(parsed.fileNames, { ...parsed.options, outDir });
  const diagnostics: ts.Diagnostic[] = [];
  const result = program.emit(undefined, undefined, undefined, false, {
    before: [spanweave(program, { onDiagnostic: (d: ts.Diagnostic) => diagnostics.push(d) })],
  });
  const all = [...typescript.getPreEmitDiagnostics(program), ...result.diagnostics, ...diagnostics];
  return build(outDir, typescript.formatDiagnostics(all, formatHost), all.length > 0 ? 1 : 0);
}

/** Compiles each file alone with `ts.transpileModule`: no program, no type checker. */
export function compileWithTranspileModule(project: string): Build {
  const parsed = parseProject(project);
  const outDir = freshDir(`transpile-${project.split('/').pop()}`);
  const rootDir = parsed.options.rootDir ?? project;
  const diagnostics: ts.Diagnostic[] = [];
  for (const fileName of parsed.fileNames) {
    const { outputText } = typescript.transpileModule(readFileSync(fileName, 'utf8'), {
      compilerOptions: parsed.options,
      fileName,
      transformers: { before: [spanweave(undefined, { onDiagnostic: (d: ts.Diagnostic) => diagnostics.push(d) })] },
    });
    const target = join(outDir, relative(rootDir, fileName)).replace(/\.([cm]?)ts$/, '.$1js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  return build(outDir, typescript.formatDiagnostics(diagnostics, formatHost), diagnostics.length > 0 ? 1 : 0);
}

/** The compiler paths every behaviour suite runs through: they must not be able to drift. */
export const PATHS = ['tspc', 'weave source', 'weave emitted'] as const;
export type CompilePath = (typeof PATHS)[number];

/** Compiles a fixture project through one path (the untraced twin is compileWithTsc). */
export function compileWith(path: CompilePath, project: string, outDir?: string): Build {
  if (path === 'tspc') return compileWithTspc(project, [], outDir);
  return path === 'weave source' ? compileWithWeavedSource(project, outDir) : compileWithWeavedOutput(project, outDir);
}

/** The awaitContext option of a project's spanweave plugin entry. */
function awaitContextOf(parsed: ts.ParsedCommandLine): boolean {
  const entry = (parsed.options.plugins as { transform?: string; awaitContext?: boolean }[] | undefined)?.find((p) => p.transform?.startsWith('spanweave'));
  return entry?.awaitContext === true;
}

/** The traceAll matcher of a project's spanweave plugin entry. */
function traceAllOf(project: string, parsed: ts.ParsedCommandLine): (fileName: string) => boolean {
  const entry = (parsed.options.plugins as { transform?: string; traceAll?: string[] }[] | undefined)?.find((p) => p.transform?.startsWith('spanweave'));
  return entry?.traceAll ? globMatcher(entry.traceAll.map((pattern) => join(project, pattern))) : () => false;
}

/**
 * The bundler path: each source file woven by the text-edit core (weave), then its types stripped
 * by TypeScript without any plugin, file by file, as a bundler strips them.
 */
export function compileWithWeavedSource(project: string, outDir = freshDir(`weave-source-${project.split('/').pop()}`)): Build {
  const parsed = parseProject(project);
  const rootDir = parsed.options.rootDir ?? project;
  const traceAll = traceAllOf(project, parsed);
  const diagnostics: import('../../transformer/weave/index.js').WeaveDiagnostic[] = [];
  for (const fileName of parsed.fileNames) {
    const source = readFileSync(fileName, 'utf8');
    const woven = core.weave(fileName, source, { traceAll: traceAll(fileName), awaitContext: awaitContextOf(parsed) });
    diagnostics.push(...(woven?.diagnostics ?? []));
    const { outputText } = typescript.transpileModule(woven?.code ?? source, { compilerOptions: { ...parsed.options, sourceMap: false, inlineSourceMap: true }, fileName });
    const target = join(outDir, relative(rootDir, fileName)).replace(/\.([cm]?)ts$/, '.$1js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  return build(outDir, core.formatDiagnostics(diagnostics, repoRoot), diagnostics.some((d) => d.category === 'error') ? 1 : 0);
}

/**
 * The TypeScript 7 path: the project emitted by a compiler that ignores plugins, then every
 * emitted file woven in place (JSDoc survives emit).
 */
export function compileWithWeavedOutput(project: string, outDir?: string): Build {
  const parsed = parseProject(project);
  const emitted = compileWithTsc(project, [], outDir);
  const traceAll = traceAllOf(project, parsed);
  const rootDir = parsed.options.rootDir ?? project;
  const diagnostics: import('../../transformer/weave/index.js').WeaveDiagnostic[] = [];
  for (const [file, text] of emittedFiles(emitted.outDir, '.js')) {
    const fileName = join(emitted.outDir, file);
    const source = join(rootDir, file).replace(/\.js$/, '.ts');
    const woven = core.weave(fileName, text, { traceAll: traceAll(source), format: 'commonjs', awaitContext: awaitContextOf(parsed) });
    diagnostics.push(...(woven?.diagnostics ?? []));
    if (woven?.changed) writeFileSync(fileName, woven.code);
  }
  return build(emitted.outDir, emitted.output + core.formatDiagnostics(diagnostics, repoRoot), diagnostics.some((d) => d.category === 'error') ? 1 : emitted.exitCode);
}

/** Every emitted file of a build, by path relative to outDir. */
export function emittedFiles(outDir: string, extension: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(extension)) files.set(relative(outDir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(outDir);
  return files;
}

export { typescript, spanweave, core };
