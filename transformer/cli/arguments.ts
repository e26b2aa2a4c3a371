/** The command line of `spanweave`: its own options, the rest handed to the compiler as they are. */
export interface Command {
  readonly command: 'build' | 'help';
  /** Print which compiler path the build took, and what it wove. */
  readonly verbose: boolean;
  /** The folder of the TypeScript package to build with, instead of the project's own. */
  readonly typescript: string | undefined;
  /** Every other argument, in order, for `tsc` (or its API). */
  readonly compilerArgs: readonly string[];
}

export const USAGE = `Usage: spanweave build [-p tsconfig.json] [--watch] [tsc options...] [--verbose]

Compiles the project with its own TypeScript and traces the tagged functions:
  TypeScript 5.x and 6.x: through the compiler API with the spanweave transformer (no ts-patch);
  TypeScript 7.x: runs its tsc, then weaves the JavaScript tsc emitted (source maps chained).

Options besides tsc's:
  --verbose            say which path the build took and which files were woven
  --typescript <dir>   build with the TypeScript package in <dir> instead of the project's own

tsc's --version, --init, --showConfig, --listFilesOnly and --all run the project's tsc alone.
`;

/** A failure the command explains in its message (no stack trace). */
export class CommandError extends Error {}

/** A command line the command does not take: the message, then the usage. */
export class UsageError extends CommandError {}

export function parseArguments(args: readonly string[]): Command {
  const [command, ...rest] = args;
  if (command === undefined || command === 'help' || HELP.test(command) || (command === 'build' && rest.some((arg) => HELP.test(arg)))) return { command: 'help', verbose: false, typescript: undefined, compilerArgs: [] };
  if (command !== 'build') throw new UsageError(`unknown command '${command}'.`);
  let verbose = false;
  let typescript: string | undefined;
  const compilerArgs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--verbose') verbose = true;
    else if (arg === '--typescript') {
      typescript = rest[++i];
      if (typescript === undefined) throw new UsageError('--typescript needs the folder of a TypeScript package.');
    } else compilerArgs.push(arg);
  }
  if (compilerArgs.some((arg) => /^--?b(uild)?$/i.test(arg))) throw new UsageError('`spanweave build` builds one project (`-p tsconfig.json`); tsc --build is not supported.');
  return { command, verbose, typescript, compilerArgs };
}

const HELP = /^(?:-h|--help|-\?)$/i;

/** tsc's options that print or write something other than a build (its version, a new tsconfig.json, the options in effect, the files): tsc runs them alone. */
export const isTscOnly = (args: readonly string[]): boolean => args.some((arg) => /^--?(?:v|version|init|all|showconfig|listfilesonly)$/i.test(arg));

/** Whether tsc's arguments ask for watch mode. */
export const isWatch = (args: readonly string[]): boolean => args.some((arg) => /^--?w(atch)?$/i.test(arg));
