import { dirname } from 'node:path';
import { isModulePackage } from '../utils/package-type.js';

export type ModuleFormat = 'esm' | 'commonjs';

/**
 * The module format tsc emitted a file in, so that the runtime is added as an `import` or a
 * `require`: the extension for .mjs/.cjs; else the `module` option, and for the node16/nodenext
 * family the package.json `type` of the source file's package, as TypeScript decides it.
 * Undefined when the options do not say (the weaver then reads the file's own syntax).
 */
export function emittedFormat(outputFile: string, sourceFile: string | undefined, module: string | undefined): ModuleFormat | undefined {
  if (outputFile.endsWith('.mjs')) return 'esm';
  if (outputFile.endsWith('.cjs')) return 'commonjs';
  if (module === undefined) return undefined;
  if (module === 'commonjs') return 'commonjs';
  if (/^node/.test(module)) return isModulePackage(dirname(sourceFile ?? outputFile)) ? 'esm' : 'commonjs';
  return /^(es\d+|esnext|preserve)$/.test(module) ? 'esm' : undefined;
}
