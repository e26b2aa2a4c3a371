import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { nearestTsconfig } from '../adapters/tsconfig.js';
import { CommandError } from './arguments.js';
import type { Command } from './typescript.js';

/** The compiler options the weaving depends on, as `tsc --showConfig` prints them. */
interface ShownOptions {
  readonly module?: string;
  readonly outDir?: string;
  readonly rootDir?: string;
  readonly removeComments?: boolean;
  readonly incremental?: boolean;
  readonly composite?: boolean;
  readonly tsBuildInfoFile?: string;
}

/** A project as TypeScript 7's `tsc` sees it with the command's arguments. */
export interface NativeProject {
  readonly configFile: string;
  /** The `module` option, lower case, if set. */
  readonly module: string | undefined;
  readonly removeComments: boolean;
  /** The .tsbuildinfo of an incremental build, else undefined. */
  readonly buildInfoFile: string | undefined;
  /** The source file a JavaScript file was emitted from, if it is one of this project's outputs. */
  sourceOf(outputFile: string): string | undefined;
}

/**
 * Reads the project from `tsc --showConfig` with the user's arguments (so `-p` and options given on
 * the command line count), which prints the options with paths relative to the tsconfig's folder.
 */
export async function readNativeProject(tsc: Command, args: readonly string[], cwd = process.cwd()): Promise<NativeProject> {
  const configFile = findConfigFile(args, cwd);
  const shown = JSON.parse(await showConfig(tsc, args, cwd)) as { compilerOptions?: ShownOptions };
  const options = shown.compilerOptions ?? {};
  const directory = dirname(configFile);
  const at = (path: string | undefined) => (path === undefined ? undefined : resolve(directory, path));
  const outDir = at(options.outDir);
  // TypeScript 7's rootDir defaults to the tsconfig's folder.
  const rootDir = at(options.rootDir) ?? directory;
  return {
    configFile,
    module: options.module?.toLowerCase(),
    removeComments: options.removeComments === true,
    buildInfoFile: options.incremental || options.composite ? (at(options.tsBuildInfoFile) ?? defaultBuildInfoFile(configFile, rootDir, outDir)) : undefined,
    sourceOf: (outputFile) => sourceOf(outputFile, rootDir, outDir),
  };
}

function showConfig([program, ...programArgs]: Command, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(program, [...programArgs, ...args, '--showConfig'], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 }, (error, stdout, stderr) => {
      if (error) reject(new CommandError(`tsc --showConfig failed:\n${stdout}${stderr}`));
      else resolvePromise(stdout);
    });
  });
}

/** The tsconfig `tsc` reads: `-p` (a file, or a folder's tsconfig.json), else the nearest one up from `cwd`. */
function findConfigFile(args: readonly string[], cwd: string): string {
  const flag = args.findIndex((arg) => /^-(?:p|-project)$/i.test(arg)); // tsc's options are case-insensitive
  if (flag >= 0 && args[flag + 1] !== undefined) {
    const project = resolve(cwd, args[flag + 1]!);
    return existsSync(project) && statSync(project).isDirectory() ? join(project, 'tsconfig.json') : project;
  }
  const found = nearestTsconfig(cwd);
  if (found === undefined) throw new CommandError('no tsconfig.json found: `spanweave build` builds a project (-p <tsconfig.json or its folder>).');
  return found;
}

/** The source extensions that emit each JavaScript extension, TypeScript first. */
const SOURCE_EXTENSIONS: Readonly<Record<string, readonly string[]>> = { '.js': ['.ts', '.tsx', '.js', '.jsx'], '.jsx': ['.tsx', '.jsx'], '.mjs': ['.mts', '.mjs'], '.cjs': ['.cts', '.cjs'] };

/** The inverse of tsc's output path (outDir + the source's path below rootDir): the source that exists there. */
function sourceOf(outputFile: string, rootDir: string, outDir: string | undefined): string | undefined {
  const extension = /\.(?:[cm]?js|jsx)$/.exec(outputFile)?.[0];
  if (extension === undefined) return undefined;
  const stem = outputFile.slice(0, -extension.length);
  if (outDir !== undefined && relative(outDir, stem).startsWith('..')) return undefined;
  const sourceStem = outDir === undefined ? stem : join(rootDir, relative(outDir, stem));
  return SOURCE_EXTENSIONS[extension]!.map((candidate) => sourceStem + candidate).find((source) => source !== outputFile && existsSync(source));
}

/** tsc's default: in outDir at the tsconfig's place relative to rootDir, else beside the tsconfig. */
function defaultBuildInfoFile(configFile: string, rootDir: string, outDir: string | undefined): string {
  const stem = join(dirname(configFile), basename(configFile).replace(/\.json$/, ''));
  return `${outDir === undefined ? stem : resolve(outDir, relative(rootDir, stem))}.tsbuildinfo`;
}
