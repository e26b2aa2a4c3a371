/**
 * Semantic preservation, as a property: for random programs around one tagged function (every
 * shape and flavor; see helpers/function-programs.ts), the program compiled with the spanweave
 * transformer behaves exactly as the same program compiled without it: results, thrown values,
 * the order of side effects, `this`, `arguments`, `super`, `new.target`, `name` and `length`, and
 * sync staying sync, through every compiler path. Run with a real SDK recording, so the traced path runs; the active context
 * after each program equals the one before. On failure fast-check prints the seed and the path
 * that replay the case, and the test prints both compiled programs.
 * SPANWEAVE_PROPERTY_RUNS sets the number of programs (default 1000).
 */
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { core, PATHS, spanweave, typescript, type CompilePath } from './helpers/compile.js';
import { functionPrograms, programSource, type FunctionProgram } from './helpers/function-programs.js';
import { repoRoot } from './helpers/paths.js';
import { api, installSdk, type TestSdk } from './helpers/sdk.js';

const RUNS = Number(process.env.SPANWEAVE_PROPERTY_RUNS ?? 1000);
const requireFromRepo = createRequire(`${repoRoot}/package.json`);

let sdk: TestSdk;
beforeAll(() => {
  sdk = installSdk();
});
afterAll(() => sdk.uninstall());

const compilerOptions = { target: typescript.ScriptTarget.ES2022, module: typescript.ModuleKind.CommonJS };

/** The program compiled untraced, or traced through one path (see helpers/compile.ts's PATHS). */
function compile(source: string, path: CompilePath | undefined, awaitContext = false): string {
  const diagnostics: unknown[] = [];
  const emit = (text: string, traced: boolean) =>
    typescript.transpileModule(text, {
      compilerOptions,
      transformers: traced ? { before: [spanweave(undefined, { awaitContext, onDiagnostic: (d: unknown) => diagnostics.push(d) })] } : undefined,
    }).outputText;
  const weave = (fileName: string, text: string) => {
    const woven = core.weave(fileName, text, { format: 'commonjs', awaitContext });
    diagnostics.push(...(woven?.diagnostics ?? []));
    return woven?.code ?? text;
  };
  let output: string;
  if (path === 'weave source') output = emit(weave('program.ts', source), false);
  else if (path === 'weave emitted') output = weave('program.js', emit(source, false));
  else output = emit(source, path === 'tspc');
  if (diagnostics.length > 0) throw new Error(`the transformer reported a diagnostic on a valid program:\n${source}`);
  return output;
}

/** Evaluates CommonJS output as a module (its own `log`, `exports`), resolving spanweave/runtime. */
function load(javascript: string): { observe(): Promise<unknown[]> } {
  const module = { exports: {} as { observe(): Promise<unknown[]> } };
  new Function('exports', 'require', 'module', javascript)(module.exports, requireFromRepo, module);
  return module.exports;
}

// With the option awaitContext, traced async bodies run as generators driven by the runtime.
for (const [path, awaitContext] of PATHS.flatMap((path) => [[path, false], [path, true]] as const)) {
  it(`${path}${awaitContext ? ' with awaitContext' : ''}: a tagged function behaves exactly as the untagged one (${RUNS} random programs)`, async () => {
    let traced = 0;
    await fc.assert(
      fc.asyncProperty(functionPrograms, async (program: FunctionProgram) => {
        const source = programSource(program);
        const [plainJs, tracedJs] = [compile(source, undefined), compile(source, path, awaitContext)];
        expect(tracedJs, 'the transformer left the function as it was').toContain('spanweave_1.');
        const before = api.context.active();
        sdk.reset();
        const [expected, actual] = [await load(plainJs).observe(), await load(tracedJs).observe()];
        expect(api.context.active()).toBe(before);
        traced += sdk.spans().length;
        try {
          expect(actual).toEqual(expected);
        } catch (error) {
          console.error(`untraced:\n${plainJs}\ntraced:\n${tracedJs}`);
          throw error;
        }
      }),
      { numRuns: RUNS },
    );
    expect(traced).toBeGreaterThan(RUNS); // the SDK saw spans: the traced path ran
  }, 300_000);
}
