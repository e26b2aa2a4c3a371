import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

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
  if (/^node/.test(module)) return packageType(dirname(sourceFile ?? outputFile)) === 'module' ? 'esm' : 'commonjs';
  return /^(es\d+|esnext|preserve)$/.test(module) ? 'esm' : undefined;
}

const packageTypes = new Map<string, string | undefined>();

/** The `type` of the nearest package.json at or above `dir`. */
function packageType(dir: string): string | undefined {
  if (packageTypes.has(dir)) return packageTypes.get(dir);
  const manifest = join(dir, 'package.json');
  const type = existsSync(manifest) ? ((JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type ?? 'commonjs') : dirname(dir) === dir ? undefined : packageType(dirname(dir));
  packageTypes.set(dir, type);
  return type;
}
