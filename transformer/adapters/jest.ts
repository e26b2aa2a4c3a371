import type * as ts from 'typescript';
import spanweave, { type SpanweaveOptions } from '../index.js';

/**
 * ts-jest: `astTransformers: { before: ['spanweave/jest'] }` in the ts-jest options (or
 * `{ path: 'spanweave/jest', options: { traceAll: [...] } }`). ts-jest keys its cache on `name`
 * and `version`.
 */
export const name = 'spanweave';
export { version } from '../version.js';

/** What ts-jest hands an AST transformer: its compiler, with the program when it type-checks. */
interface TsJestCompiler {
  readonly program?: ts.Program;
  readonly configSet: { readonly compilerModule: typeof ts };
}

export function factory(compiler: TsJestCompiler, options?: SpanweaveOptions): ts.TransformerFactory<ts.SourceFile> {
  return spanweave(compiler.program, options, { ts: compiler.configSet.compilerModule });
}
