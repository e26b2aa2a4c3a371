/**
 * Incremental builds (`incremental`, `composite`, `tsc --build`, watch on such a project) re-emit
 * only the files that changed, and `plugins` is not an option that tsc compares between builds.
 * So outputs emitted before spanweave was added, or by another version or options of it, stay as
 * they were until their file changes: a silent mix of instrumented and uninstrumented code.
 *
 * spanweave records what made the outputs in a stamp beside the .tsbuildinfo, written when it has
 * seen a whole program emitted. In a build that finds an older build's .tsbuildinfo but no stamp,
 * or another stamp, it reports an error, at the first file it transforms, telling how to emit
 * everything. Limits: when no file is emitted at all, ts-patch does not call the transformer, which
 * cannot tell; and the error cannot wait to see whether this build emits every file anyway (an
 * edit of a file that all others import, a TypeScript upgrade): then the fix it asks for is redundant.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type * as ts from 'typescript';
import { DiagnosticCode } from './diagnostics.js';
import { version } from './version.js';


interface BuildState {
  checked: boolean;
  /** The program's files whose JavaScript spanweave has not yet seen emitted. */
  readonly unseen: Set<string>;
}

/** One per program: ts-patch makes a new transformer for each emit call, and the builder emits file by file. */
const builds = new WeakMap<ts.Program, BuildState>();

/**
 * For an incremental program, the function the transformer calls with each file whose JavaScript is
 * emitted; for any other, undefined (nothing is read or written).
 */
export function trackBuild(tsInstance: typeof ts, program: ts.Program, options: object, deliver: (diagnostic: ts.Diagnostic) => void): ((file: ts.SourceFile) => void) | undefined {
  const compilerOptions = program.getCompilerOptions();
  // A build that is not incremental has no earlier state: `tsc --build` writes a .tsbuildinfo for
  // such a project only to check timestamps, and emits every file when it builds it.
  if (!compilerOptions.incremental && !compilerOptions.composite) return undefined;
  const buildInfo = tsInstance.getTsBuildInfoEmitOutputFilePath(compilerOptions);
  if (buildInfo === undefined) return undefined;
  const stampFile = `${buildInfo}.spanweave`;
  const stamp = `${JSON.stringify({ spanweave: version, options })}\n`;

  const state = builds.get(program) ?? { checked: false, unseen: new Set(emittedFiles(program)) };
  builds.set(program, state);
  return (file) => {
    if (!state.checked) {
      state.checked = true;
      // `tsc --build --force` ignores the .tsbuildinfo and emits every file, as the error asks.
      const build = buildOptions(tsInstance);
      if (readStamp(stampFile) !== stamp && existsSync(buildInfo) && !build?.force) deliver(staleBuild(tsInstance, buildInfo, build, compilerOptions.configFilePath));
    }
    if (state.unseen.delete(file.fileName) && state.unseen.size === 0) {
      mkdirSync(dirname(stampFile), { recursive: true });
      writeFileSync(stampFile, stamp);
    }
  };
}

/** The root files whose JavaScript a full emit writes (declarations and JSON have none). */
function emittedFiles(program: ts.Program): string[] {
  return program.getRootFileNames().flatMap((name) => {
    const file = program.getSourceFile(name);
    return file && !file.isDeclarationFile && !/\.json$/i.test(file.fileName) ? [file.fileName] : [];
  });
}

function readStamp(stampFile: string): string | undefined {
  return existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : undefined;
}

/** The `tsc --build` options of this process's command line, if it is one. */
function buildOptions(tsInstance: typeof ts): ts.BuildOptions | undefined {
  const args = tsInstance.sys.args;
  return /^--?b(uild)?$/i.test(args[0] ?? '') ? tsInstance.parseBuildCommand(args).buildOptions : undefined;
}

function staleBuild(tsInstance: typeof ts, buildInfo: string, build: ts.BuildOptions | undefined, configFile: unknown): ts.Diagnostic {
  const where = relative(process.cwd(), buildInfo);
  const project = typeof configFile === 'string' ? ` ${relative(process.cwd(), configFile)}` : '';
  // `--force` applies to --build only: `tsc -p` always reads the .tsbuildinfo it finds.
  const fix = build ? `\`tspc --build${project} --force\`` : `delete ${where} and build again`;
  return {
    file: undefined,
    start: undefined,
    length: undefined,
    messageText:
      `spanweave: ${where} is from a build without spanweave ${version} (or with other options of it), and an incremental build ` +
      `emits only the files that changed: the others may be left uninstrumented. Emit every file once: ${fix}.`,
    category: tsInstance.DiagnosticCategory.Error,
    code: DiagnosticCode.staleBuild,
    source: 'spanweave',
  };
}
