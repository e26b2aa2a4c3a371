import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** What every bundler plugin accepts: where its settings come from. */
export interface AdapterOptions {
  /**
   * The tsconfig.json whose spanweave plugin entry applies; relative to the tool's root. Default:
   * the one `tsc` would find from the root. `false`: none.
   */
  readonly tsconfig?: string | false;
  /** Files to trace whole; default: the `traceAll` of the spanweave entry in the tsconfig's `plugins`. */
  readonly traceAll?: readonly string[];
  /**
   * A traced async function's span stays active across each `await` (the transformer's option
   * awaitContext). Default: the `awaitContext` of the spanweave entry in the tsconfig's `plugins`,
   * else on where the build is for the browser (Vite's client code, esbuild's `platform:
   * 'browser'`, a webpack or Rspack `target` of the web and not Node), where no context manager
   * follows an await, and off elsewhere.
   */
  readonly awaitContext?: boolean;
}

/** What applies to a project: the plugin's options, else its tsconfig's spanweave entry. */
export interface ProjectSettings {
  /** Globs of the files to trace whole, absolute. */
  readonly traceAll: readonly string[];
  readonly awaitContext: boolean | undefined;
}

interface TsConfig {
  readonly extends?: string | readonly string[];
  readonly compilerOptions?: { readonly plugins?: readonly PluginEntry[] };
}

interface PluginEntry {
  readonly transform?: string;
  readonly traceAll?: readonly string[];
  readonly awaitContext?: boolean;
}

/**
 * The settings of the project at `root`, `traceAll` made absolute (relative to the tsconfig's
 * folder), read without TypeScript: the file's own `compilerOptions.plugins`, else those of the
 * files it extends (by path, or from a package as TypeScript finds it).
 */
export function projectSettings(options: AdapterOptions, root: string): ProjectSettings {
  const path = options.tsconfig === false ? undefined : options.tsconfig ? resolve(root, options.tsconfig) : nearestTsconfig(root);
  const entry = path === undefined ? undefined : spanweaveEntry(path);
  const dir = path === undefined ? root : dirname(path);
  return {
    traceAll: (options.traceAll ?? entry?.traceAll ?? []).map((pattern) => resolve(dir, pattern)),
    awaitContext: options.awaitContext ?? entry?.awaitContext,
  };
}

/** The nearest tsconfig.json at or above `dir`, as `tsc` finds it. */
export function nearestTsconfig(dir: string): string | undefined {
  const path = join(dir, 'tsconfig.json');
  if (existsSync(path)) return path;
  const parent = dirname(dir);
  return parent === dir ? undefined : nearestTsconfig(parent);
}

function spanweaveEntry(path: string): PluginEntry | undefined {
  return pluginsOf(path, [])?.find((entry) => entry.transform?.startsWith('spanweave/transformer'));
}

/**
 * The `plugins` that apply in the tsconfig at `path`: its own, else the last base's that has them.
 * `extending`: the files that extend it, down from the first.
 */
function pluginsOf(path: string, extending: readonly string[]): readonly PluginEntry[] | undefined {
  if (extending.includes(path)) throw new Error(`spanweave: cannot read ${path}: it extends itself`);
  const config = readConfig(path);
  if (config.compilerOptions?.plugins) return config.compilerOptions.plugins;
  const bases = typeof config.extends === 'string' ? [config.extends] : (config.extends ?? []);
  for (const base of [...bases].reverse()) {
    const basePath = extendedFile(path, base);
    const plugins = basePath === undefined ? undefined : pluginsOf(basePath, [...extending, path]);
    if (plugins) return plugins;
  }
  return undefined;
}

/**
 * The file an `extends` names, as TypeScript finds it: a path as written, else with `.json`; a
 * package's file by Node's resolution from the tsconfig (`pkg/base.json`, `pkg/base`, or `pkg`'s
 * tsconfig.json). Undefined where none is there (tsc reports that).
 */
function extendedFile(from: string, base: string): string | undefined {
  if (isAbsolute(base) || base.startsWith('.')) {
    const written = resolve(dirname(from), base);
    return [written, `${written}.json`].find((candidate) => existsSync(candidate));
  }
  const resolveFrom = createRequire(from).resolve;
  for (const candidate of [base, `${base}.json`, `${base}/tsconfig.json`]) {
    try {
      const found = resolveFrom(candidate);
      if (found.endsWith('.json')) return found;
    } catch {
      // not this one
    }
  }
  return undefined;
}

function readConfig(path: string): TsConfig {
  try {
    return parseJsonc(readFileSync(path, 'utf8')) as TsConfig;
  } catch (error) {
    throw new Error(`spanweave: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** JSON with comments and trailing commas, as tsconfig.json allows. */
function parseJsonc(text: string): unknown {
  let json = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '"') {
      const end = stringEnd(text, i);
      json += text.slice(i, end);
      i = end - 1;
    } else if (char === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end - 1;
    } else if (char === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw new SyntaxError('unterminated comment');
      json += ' ';
      i = end + 1;
    } else if (char === '}' || char === ']') {
      json = json.replace(/,\s*$/, '') + char;
    } else json += char;
  }
  return JSON.parse(json.replace(/^\uFEFF/, ''));
}

/** The index just past the string literal that starts at `start`. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  throw new SyntaxError('unterminated string');
}
