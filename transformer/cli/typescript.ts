import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CommandError } from './arguments.js';

/** A TypeScript package: where it is, its version, and its `tsc`. */
export interface TypeScriptPackage {
  readonly directory: string;
  readonly version: string;
  readonly major: number;
  readonly tsc: string;
}

/**
 * The TypeScript the project builds with: the `typescript` package that resolves from the working
 * directory, as the project's own `tsc` would be; or the package in `override`.
 */
export function findTypeScript(override: string | undefined, cwd = process.cwd()): TypeScriptPackage {
  const manifest = override === undefined ? resolveFrom(cwd) : join(resolve(cwd, override), 'package.json');
  const directory = dirname(manifest);
  if (!existsSync(manifest)) throw new CommandError(`--typescript ${override}: ${directory} holds no package (no package.json); give the folder of a TypeScript package, such as node_modules/typescript.`);
  const { version, bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string; bin?: Record<string, string> };
  const tsc = bin?.tsc;
  if (tsc === undefined) throw new CommandError(`${directory} is not a TypeScript package (its package.json names no tsc); give the folder of one, such as node_modules/typescript.`);
  return { directory, version, major: Number(version.split('.')[0]), tsc: join(directory, tsc) };
}

function resolveFrom(cwd: string): string {
  try {
    return require.resolve('typescript/package.json', { paths: [cwd] });
  } catch {
    throw new CommandError(`no TypeScript found from ${cwd}: install it in the project (npm install -D typescript).`);
  }
}

/** A program and the arguments it starts with: how `tsc` is run. */
export type Command = readonly [file: string, ...args: string[]];

/**
 * How to run a TypeScript 7 `tsc`: its native executable, found by the package's own lookup (the
 * one its bin script uses), which saves a Node process per run; else the bin script under Node.
 */
export async function nativeTsc(typescript: TypeScriptPackage): Promise<Command> {
  try {
    const lookup = (await import(pathToFileURL(join(typescript.directory, 'lib/getExePath.js')).href)) as { default(): string };
    const executable = lookup.default();
    if (existsSync(executable)) return [executable];
  } catch {
    // a layout this version of spanweave does not know: the bin script finds it
  }
  return [process.execPath, typescript.tsc];
}
