import { join } from 'node:path';
import type * as ts from 'typescript';
import spanweave, { type SpanweaveOptions } from '../index.js';
import { signalStatus } from './signal-status.js';

/**
 * `spanweave build` on TypeScript 5.x and 6.x: the compiler API with the spanweave transformer in
 * every emit, so no ts-patch is needed. A build reports its diagnostics as `tsc` does and returns
 * its exit status; `--watch` runs tsc's own watch program, whose every emit is traced.
 */
export function buildWithCompilerApi(typescript: typeof ts, args: readonly string[]): number | 'watching' {
  const commandLine = typescript.parseCommandLine(args);
  const pretty = commandLine.options.pretty === undefined ? process.stdout.isTTY === true : commandLine.options.pretty === true;
  const report = diagnosticReporter(typescript, pretty);
  if (commandLine.errors.length > 0) return failWith(report, commandLine.errors);
  if (commandLine.fileNames.length > 0) {
    process.stderr.write(`spanweave: \`spanweave build\` builds a project, not files named on the command line (${commandLine.fileNames.join(', ')}): name its tsconfig with -p.\n`);
    return 1;
  }
  const configFile = findConfigFile(typescript, commandLine.options.project);
  if (configFile === undefined) {
    process.stderr.write('spanweave: no tsconfig.json found: `spanweave build` builds a project (-p <tsconfig.json or its folder>).\n');
    return 1;
  }
  const { project: _project, watch, ...optionsToExtend } = commandLine.options;
  if (watch) {
    watchProject(typescript, configFile, optionsToExtend, report);
    return 'watching';
  }
  let unreadable: ts.Diagnostic | undefined;
  const parsed = typescript.getParsedCommandLineOfConfigFile(configFile, optionsToExtend, {
    ...typescript.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => void (unreadable = diagnostic),
  });
  if (parsed === undefined) return failWith(report, unreadable ? [unreadable] : []);
  return build(typescript, parsed, report);
}

function build(typescript: typeof ts, parsed: ts.ParsedCommandLine, report: ts.DiagnosticReporter): number {
  const setup = { rootNames: parsed.fileNames, options: parsed.options, projectReferences: parsed.projectReferences, configFileParsingDiagnostics: typescript.getConfigFileParsingDiagnostics(parsed) };
  const incremental = parsed.options.incremental === true || parsed.options.composite === true;
  const program = incremental ? typescript.createIncrementalProgram(setup) : typescript.createProgram(setup);
  const checked = [...program.getConfigFileParsingDiagnostics(), ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...program.getSyntacticDiagnostics()];
  if (checked.length === 0) checked.push(...program.getSemanticDiagnostics());
  traceEmits(typescript, 'getProgram' in program ? program.getProgram() : program);
  const emitted = program.emit();
  const diagnostics = typescript.sortAndDeduplicateDiagnostics([...checked, ...emitted.diagnostics]);
  diagnostics.forEach(report);
  // The lists tsc prints after a build.
  if (parsed.options.listFiles) for (const file of program.getSourceFiles()) process.stdout.write(`${file.fileName}\n`);
  if (parsed.options.listEmittedFiles) for (const file of emitted.emittedFiles ?? []) process.stdout.write(`TSFILE: ${file}\n`);
  const errors = diagnostics.filter((d) => d.category === typescript.DiagnosticCategory.Error);
  // tsc's exit status for its own errors (1: nothing emitted, 2: emitted anyway), else 1 for spanweave's, as on TypeScript 7.
  if (errors.some((d) => d.source !== 'spanweave')) return emitted.emitSkipped ? 1 : 2;
  return errors.length > 0 ? 1 : 0;
}

function watchProject(typescript: typeof ts, configFile: string, optionsToExtend: ts.CompilerOptions, report: ts.DiagnosticReporter): void {
  const host = typescript.createWatchCompilerHost(configFile, optionsToExtend, typescript.sys, typescript.createEmitAndSemanticDiagnosticsBuilderProgram, report);
  const afterProgramCreate = host.afterProgramCreate;
  // tsc's own rebuild step (emit, then report and count the diagnostics), spanweave in its emits.
  host.afterProgramCreate = (builder) => {
    traceEmits(typescript, builder.getProgram());
    afterProgramCreate?.(builder);
  };
  typescript.createWatchProgram(host);
  // Stop between rebuilds, never inside one: a rebuild writes its files synchronously, so the
  // handler runs after the last, where the default action could cut a file off mid-write.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(signalStatus(signal)));
}

/**
 * Puts the spanweave transformer first in every emit of `program`, its diagnostics in the emit's
 * result, as ts-patch does: an incremental builder emits through its program file by file and keeps
 * each file's emit diagnostics, so an error is reported again by builds that do not emit its file.
 */
function traceEmits(typescript: typeof ts, program: ts.Program): void {
  const emit = program.emit.bind(program);
  const options = pluginOptions(program.getCompilerOptions());
  program.emit = (target, writeFile, token, declarationsOnly, transformers) => {
    const collected: ts.Diagnostic[] = [];
    const transformer = spanweave(program, options, { ts: typescript, addDiagnostic: (diagnostic) => collected.push(diagnostic) });
    const result = emit(target, writeFile, token, declarationsOnly, { ...transformers, before: [transformer, ...(transformers?.before ?? [])] });
    return { ...result, diagnostics: [...result.diagnostics, ...collected] };
  };
}

/** The options of the tsconfig's spanweave plugin entry (`traceAll`, `awaitContext`), as tspc would pass them. */
function pluginOptions(options: ts.CompilerOptions): SpanweaveOptions {
  const entries = (options.plugins ?? []) as ReadonlyArray<{ transform?: string } & SpanweaveOptions>;
  const entry = entries.find((candidate) => candidate.transform?.startsWith('spanweave/transformer'));
  return { ...(entry?.traceAll && { traceAll: entry.traceAll }), ...(entry?.awaitContext !== undefined && { awaitContext: entry.awaitContext }) };
}

function findConfigFile(typescript: typeof ts, project: string | undefined): string | undefined {
  if (project === undefined) return typescript.findConfigFile(process.cwd(), typescript.sys.fileExists);
  return typescript.sys.directoryExists(project) ? join(project, 'tsconfig.json') : project;
}

/** Prints each diagnostic as tsc does: with color and the code's line when `pretty`, else one line. */
function diagnosticReporter(typescript: typeof ts, pretty: boolean): ts.DiagnosticReporter {
  const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (fileName) => fileName, getCurrentDirectory: () => process.cwd(), getNewLine: () => '\n' };
  return (diagnostic) => process.stdout.write(pretty ? `${typescript.formatDiagnosticsWithColorAndContext([diagnostic], host)}\n` : typescript.formatDiagnostic(diagnostic, host));
}

function failWith(report: ts.DiagnosticReporter, diagnostics: readonly ts.Diagnostic[]): number {
  diagnostics.forEach(report);
  return 1;
}
