#!/usr/bin/env node
import type * as ts from 'typescript';
import { CommandError, isTscOnly, parseArguments, USAGE, UsageError } from './arguments.js';
import { buildWithNativeTsc } from './native-build.js';
import { runPlainTsc } from './tsc-process.js';
import { findTypeScript, nativeTsc } from './typescript.js';

/**
 * `spanweave build [tsc options]`: one command for every TypeScript a project may have. TypeScript
 * 5 and 6 compile through their API with the spanweave transformer; TypeScript 7, which has no
 * API, runs its own `tsc` and the JavaScript it emits is woven.
 */
async function main(args: readonly string[]): Promise<number | 'watching'> {
  const command = parseArguments(args);
  if (command.command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = (message: string): void => {
    if (command.verbose) process.stderr.write(`spanweave: ${message}\n`);
  };
  const typescript = findTypeScript(command.typescript);
  if (isTscOnly(command.compilerArgs)) return runPlainTsc(typescript.major >= 7 ? await nativeTsc(typescript) : [process.execPath, typescript.tsc], command.compilerArgs);
  if (typescript.major >= 7) {
    log(`TypeScript ${typescript.version} (${typescript.directory}) has no transformer API: running its tsc, then weaving the JavaScript it emits`);
    return buildWithNativeTsc(typescript, command.compilerArgs, log);
  }
  if (typescript.major === 5 || typescript.major === 6) {
    log(`TypeScript ${typescript.version} (${typescript.directory}): compiling through its API with the spanweave transformer (no ts-patch)`);
    // Loaded here: the compiler plugin's modules, which a TypeScript 7 build never needs, take 20–30 ms to load.
    const { buildWithCompilerApi } = await import('./compiler-api.js');
    return buildWithCompilerApi(require(typescript.directory) as typeof ts, command.compilerArgs);
  }
  throw new CommandError(`TypeScript ${typescript.version} (${typescript.directory}) is not supported: spanweave needs TypeScript 5.0 or later.`);
}

main(process.argv.slice(2)).then(
  (status) => {
    if (status !== 'watching') process.exitCode = status;
  },
  (error: unknown) => {
    const explained = error instanceof CommandError;
    process.stderr.write(`spanweave: ${explained ? error.message : error instanceof Error ? error.stack : String(error)}\n${error instanceof UsageError ? `\n${USAGE}` : ''}`);
    process.exitCode = 1;
  },
);
