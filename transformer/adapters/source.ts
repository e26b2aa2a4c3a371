import { dirname, resolve } from 'node:path';
import type * as ts from 'typescript';
import { formatDiagnostics } from '../diagnostics.js';
import spanweave, { assertSupported, type SpanweaveOptions } from '../index.js';
import { globMatcher } from '../utils/glob.js';
import { inlineMapUrl } from '../utils/inline-map.js';

/** One source file after the transformer: JavaScript, its source map, spanweave's diagnostics. */
export interface TracedSource {
  readonly code: string;
  readonly map: SourceMap;
  readonly diagnostics: readonly ts.Diagnostic[];
  /** The diagnostics as `tsc` prints them, one per line. */
  readonly message: string;
  readonly hasErrors: boolean;
}

export interface SourceMap {
  version: number;
  file?: string;
  sources: string[];
  sourcesContent?: string[];
  names: string[];
  mappings: string;
}

/** Where the JavaScript goes next: straight to Node, in the module format asked for. */
export type Destination = { readonly module: 'commonjs' | 'esm' };

export type SourceTransformer = (fileName: string, code: string, destination: Destination) => TracedSource | undefined;

/**
 * Reads the project's settings once and returns the per-file step of the adapters that compile
 * with TypeScript (spanweave/register): a file that neither mentions a tag nor is listed in
 * `traceAll` returns `undefined` before any parsing (the tool then uses its own output,
 * untouched); one the transformer leaves unchanged does too.
 */
export function createSourceTransformer(root = process.cwd()): SourceTransformer {
  const project = readProject(root);
  const { ts: tsInstance, plugin } = project;
  const listedInTraceAll = plugin.traceAll?.length ? globMatcher(plugin.traceAll) : () => false;

  return (fileName, code, destination) => {
    // The transformer's own first check (tags/comments.ts): no mention of the word, no tag.
    if (!code.includes('traced') && !listedInTraceAll(fileName)) return undefined;
    const diagnostics: ts.Diagnostic[] = [];
    let changed = false;
    // A new factory per file: its duplicate filter must not hide a diagnostic when a dev server
    // transforms the same file again.
    const factory = spanweave(undefined, { ...plugin, onDiagnostic: (d) => diagnostics.push(d) }, { ts: tsInstance });
    const observed: ts.TransformerFactory<ts.SourceFile> = (context) => {
      const transform = factory(context);
      return (file) => {
        const result = transform(file);
        changed ||= result !== file;
        return result;
      };
    };
    const output = tsInstance.transpileModule(code, {
      fileName,
      compilerOptions: { ...project.compilerOptions, ...destinationOptions(tsInstance, project.compilerOptions, destination), ...SOURCE_MAP_ONLY },
      transformers: { before: [observed] },
    });
    if (!changed && diagnostics.length === 0) return undefined;
    const map = JSON.parse(output.sourceMapText ?? '{}') as SourceMap;
    map.sources = [fileName];
    map.sourcesContent = [code];
    return {
      code: output.outputText.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'),
      map,
      diagnostics,
      message: formatDiagnostics(tsInstance, diagnostics, root),
      hasErrors: diagnostics.some((d) => d.category === tsInstance.DiagnosticCategory.Error),
    };
  };
}

/** A source map as the comment that carries it inline, for tools that read input source maps. */
export function inlineSourceMap(map: SourceMap): string {
  return `//# sourceMappingURL=${inlineMapUrl(map)}\n`;
}

const SOURCE_MAP_ONLY: ts.CompilerOptions = {
  sourceMap: true,
  inlineSourceMap: false,
  inlineSources: false,
  declaration: false,
  declarationMap: false,
  emitDeclarationOnly: false,
  noEmit: false,
};

function destinationOptions(tsInstance: typeof ts, user: ts.CompilerOptions, destination: Destination): ts.CompilerOptions {
  const { ModuleKind, ScriptTarget } = tsInstance;
  return { module: destination.module === 'esm' ? ModuleKind.ESNext : ModuleKind.CommonJS, target: user.target ?? ScriptTarget.ES2022 };
}

export interface Project {
  readonly ts: typeof ts;
  readonly compilerOptions: ts.CompilerOptions;
  /** The plugin options, `traceAll` made absolute (relative to the tsconfig's folder). */
  readonly plugin: Pick<SpanweaveOptions, 'traceAll'>;
}

/** The TypeScript, compiler options and spanweave plugin options of the project at `root`. */
export function readProject(root = process.cwd()): Project {
  const tsInstance = projectTypeScript(root);
  assertSupported(tsInstance);
  const path = tsInstance.findConfigFile(root, tsInstance.sys.fileExists);
  const parsed =
    path === undefined
      ? undefined
      : tsInstance.getParsedCommandLineOfConfigFile(path, {}, {
          ...tsInstance.sys,
          onUnRecoverableConfigFileDiagnostic(diagnostic) {
            throw new Error(`spanweave: cannot read ${path}: ${tsInstance.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
          },
        });
  const entries = (parsed?.options.plugins ?? []) as ReadonlyArray<{ transform?: string; traceAll?: string[] }>;
  const traceAll = entries.find((entry) => entry.transform?.startsWith('spanweave/transformer'))?.traceAll;
  const dir = path === undefined ? root : dirname(path);
  return { ts: tsInstance, compilerOptions: parsed?.options ?? {}, plugin: { traceAll: traceAll?.map((pattern) => resolve(dir, pattern)) } };
}

/**
 * The project's own TypeScript, as its tsc would be (spanweave's only when the project has none);
 * beside a TypeScript 7, which has no JavaScript API, the TypeScript 6 installed as
 * `@typescript/typescript6`.
 */
function projectTypeScript(root: string): typeof ts {
  const load = (name: string) => require(require.resolve(name, { paths: [root, __dirname] })) as typeof ts;
  const typescript = load('typescript');
  if (Number(typescript.version.split('.')[0]) < 7) return typescript;
  try {
    return load('@typescript/typescript6');
  } catch {
    return typescript; // assertSupported explains
  }
}
