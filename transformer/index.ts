import { dirname, resolve } from 'node:path';
import type * as ts from 'typescript';
import { trackBuild } from './build-stamp.js';
import { createDiagnostic, DiagnosticCode, dropDelivered, printDiagnostic, type Report } from './diagnostics.js';
import { messages } from './messages.js';
import { addRuntimeImports, RUNTIME_MODULES, type RuntimeModule } from './runtime-import.js';
import { globalNames } from './scope.js';
import { findTags } from './tags/comments.js';
import { globMatcher } from './utils/glob.js';
import { firstTagPosition, isStackOverflow } from './utils/stack-overflow.js';
import { createVisitor } from './visitor.js';

/** Options from the tsconfig plugin entry, or passed by a programmatic caller. */
export interface SpanweaveOptions {
  /** Receives each diagnostic when no ts-patch host collects them (default: print to stderr). */
  readonly onDiagnostic?: (diagnostic: ts.Diagnostic) => void;
  /**
   * Globs of files in which every named function is traced as if tagged `@traced` (the Java
   * agent's include list), relative to the tsconfig.json (else the working directory). Tags still
   * choose a kind or options; `@untraced` opts a function out.
   */
  readonly traceAll?: readonly string[];
  /**
   * Keep a traced async function's span active across each `await` by compiling its body to a
   * generator the runtime drives (runtime/resume.ts), for context managers that cannot follow an
   * `await` (the web SDK's StackContextManager). Off by default: Node's AsyncLocalStorage follows
   * awaits, and native async functions keep their async stack traces. The bundler plugins turn it
   * on for code built for the browser.
   */
  readonly awaitContext?: boolean;
}

/** What ts-patch hands a "program" transformer; a programmatic caller may pass `ts` alone. */
export interface TransformerExtras {
  readonly ts: typeof ts;
  readonly addDiagnostic?: (diagnostic: ts.Diagnostic) => unknown;
  /** The program's plugin diagnostics ts-patch holds, and how to take one out. */
  readonly diagnostics?: readonly ts.Diagnostic[];
  readonly removeDiagnostic?: (index: number) => unknown;
}

/**
 * The spanweave transformer factory, with ts-patch's "program" signature:
 * - tsconfig: `"plugins": [{ "transform": "spanweave/transformer" }]`, compiled with `tspc`;
 * - API: `getCustomTransformers: (program) => ({ before: [spanweave(program)] })`, or
 *   `ts.transpileModule(text, { transformers: { before: [spanweave()] } })` with no program.
 * It uses the TypeScript instance ts-patch hands it; only a programmatic caller that passes none
 * gets the `typescript` package resolved from here.
 */
export default function spanweave(program?: ts.Program, options: SpanweaveOptions = {}, extras?: TransformerExtras): ts.TransformerFactory<ts.SourceFile> {
  const tsInstance = extras?.ts ?? (require('typescript') as typeof ts);
  assertSupported(tsInstance);
  if (extras?.diagnostics && extras.removeDiagnostic) dropDelivered(extras.diagnostics, extras.removeDiagnostic);
  const reported = new Set<string>();
  const deliver = extras?.addDiagnostic ?? options.onDiagnostic ?? ((diagnostic: ts.Diagnostic) => printDiagnostic(tsInstance, diagnostic));
  const configFile = program?.getCompilerOptions().configFilePath;
  const base = typeof configFile === 'string' ? dirname(configFile) : process.cwd();
  // Only a ts-patch build (tspc) writes the outputs that tsc's .tsbuildinfo describes; ts-loader,
  // ts-jest and other API callers emit elsewhere and must not stamp them.
  const emitted = program && extras?.addDiagnostic && trackBuild(tsInstance, program, options, deliver);
  const tracesAll = options.traceAll?.length ? globMatcher(options.traceAll.map((pattern) => resolve(base, pattern))) : () => false;

  return (transformation) => (file) => {
    if (file.isDeclarationFile) return file;
    emitted?.(file);
    const tags = findTags(tsInstance, file);
    const traceAll = tracesAll(file.fileName);
    if (!traceAll && tags.comments.size === 0 && tags.outsideJsDoc.length === 0) return file;

    const report: Report = (pos, length, message, code, category) => {
      const key = `${file.fileName}:${pos}:${code}:${message}`;
      if (reported.has(key)) return; // the same file emitted again through this transformer
      reported.add(key);
      deliver(createDiagnostic(tsInstance, file, pos, length, message, code, category));
    };
    const runtimes = new Map<RuntimeModule, ts.Identifier>();
    let globals: ReadonlySet<string> | undefined;
    const visitor = createVisitor({
      ts: tsInstance,
      transformation,
      file,
      tags,
      traceAll,
      awaitContext: options.awaitContext === true,
      report,
      globals: () => (globals ??= globalNames(tsInstance, file, program?.getTypeChecker())),
      checker: program?.getTypeChecker(),
      runtime(module) {
        let name = runtimes.get(module);
        if (name === undefined) runtimes.set(module, (name = tsInstance.factory.createUniqueName(RUNTIME_MODULES[module].localName)));
        return name;
      },
    });
    let result: ts.SourceFile;
    try {
      result = tsInstance.visitEachChild(file, visitor.visit, transformation);
    } catch (error) {
      if (!isStackOverflow(error)) throw error;
      report(firstTagPosition(file.text), 0, messages.nestedTooDeep, DiagnosticCode.cannotTrace);
      return file;
    }
    visitor.reportUnattached();
    if (runtimes.size > 0) result = addRuntimeImports(tsInstance, transformation, result, runtimes);
    return result;
  };
}

export { spanweave };

/** Throws the explanation when `tsInstance` is a TypeScript the transformer cannot run in. */
export function assertSupported(tsInstance: typeof ts): void {
  const major = Number((tsInstance.version ?? '0').split('.')[0]);
  if (major === 5 || major === 6) return;
  throw new Error(
    `spanweave/transformer supports TypeScript 5.x and 6.x, but was loaded into TypeScript ${tsInstance.version ?? '(unknown)'}.` +
      (major >= 7 ? ' TypeScript 7 (native) has no transformer API: install TypeScript 6 beside it (`npm install -D @typescript/typescript6`), which the build-tool adapters use, and emit with it.' : ' Upgrade TypeScript to 5.0 or later.'),
  );
}
