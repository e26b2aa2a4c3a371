import { relative } from 'node:path';
import { projectSettings, type ProjectSettings } from '../adapters/tsconfig.js';
import { globMatcher } from '../utils/glob.js';
import { formatDiagnostics, type WeaveDiagnostic } from '../weave/index.js';
import { isWatch } from './arguments.js';
import { readNativeProject } from './native-project.js';
import { runTsc } from './tsc-process.js';
import { weaveEmittedFile } from './weave-emitted.js';
import { nativeTsc, type TypeScriptPackage } from './typescript.js';
import { WovenState } from './woven-state.js';

/** What tsc emits as JavaScript: `.jsx` where `jsx` is `preserve`. */
const JAVASCRIPT = /\.(?:[cm]?js|jsx)$/;

/**
 * `spanweave build` on TypeScript 7, which has no transformer API: its own `tsc` builds, then each
 * JavaScript file it emitted is woven in place, the files of every rebuild with `--watch`. tsc
 * names the files it wrote (`--listEmittedFiles`), so nothing is guessed from the output folder and
 * a file is woven only after tsc wrote it. Returns the exit status: tsc's, else 1 for an error of spanweave.
 */
export async function buildWithNativeTsc(typescript: TypeScriptPackage, args: readonly string[], log: (message: string) => void): Promise<number> {
  const tsc = await nativeTsc(typescript);
  log(`tsc runs as: ${tsc.join(' ')}`);
  const project = await readNativeProject(tsc, args);
  if (project.removeComments) {
    process.stderr.write(
      `spanweave: ${relative(process.cwd(), project.configFile)} (or the command line) sets removeComments, so tsc's JavaScript has no tags left to weave. ` +
        'Remove removeComments (a minifier can drop the comments after spanweave build), or build with TypeScript 5 or 6 and the spanweave transformer.\n',
    );
    return 1;
  }
  const state = WovenState.open(project.buildInfoFile, log);
  const settings = readSettings(project.configFile);
  const weaving = { tracesAll: globMatcher(settings.traceAll), awaitContext: settings.awaitContext === true };
  const stillEmitted = (file: string): boolean => project.sourceOf(file) !== undefined;
  const watching = isWatch(args);

  // tsc's output comes through a pipe: on a terminal it is asked for the form it prints there.
  const tscArgs = process.stdout.isTTY && !args.some((arg) => /^--pretty$/i.test(arg)) ? [...args, '--pretty'] : args;
  const status = await runTsc(tsc, tscArgs, args.includes('--listEmittedFiles'), (files) => {
    const javascript = files.filter((file) => JAVASCRIPT.test(file));
    const woven: string[] = [];
    for (const file of javascript) {
      const result = weaveEmittedFile(file, project, weaving, watching);
      state.record(file, result.diagnostics);
      if (result.rewritten) woven.push(relative(process.cwd(), file));
    }
    state.save();
    log(`wove ${woven.length} of the ${javascript.length} JavaScript files tsc emitted${woven.length > 0 ? `: ${woven.join(', ')}` : ''}`);
    // Each rebuild reports all of spanweave's diagnostics again, as tsc does its own.
    if (watching) print(state.current(stillEmitted));
  });
  if (watching) return status;
  state.save();
  const diagnostics = state.current(stillEmitted);
  print(diagnostics);
  return status !== 0 ? status : diagnostics.some((d) => d.category === 'error') ? 1 : 0;
}

/** The tsconfig's spanweave entry; none where the file does not parse (tsc, which reads past some errors, reports them). */
function readSettings(configFile: string): ProjectSettings {
  try {
    return projectSettings({ tsconfig: configFile }, process.cwd());
  } catch (error) {
    process.stderr.write(`${(error as Error).message}: building without its spanweave entry (traceAll, awaitContext).\n`);
    return { traceAll: [], awaitContext: undefined };
  }
}

function print(diagnostics: readonly WeaveDiagnostic[]): void {
  if (diagnostics.length > 0) process.stdout.write(formatDiagnostics(diagnostics));
}
