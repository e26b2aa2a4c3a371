import { readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createSourceTransformer, inlineSourceMap } from './source.js';
import { isModulePackage } from '../utils/package-type.js';
import { isUserSource } from './user-source.js';

/**
 * Node's in-thread module hooks (`module.registerHooks`, Node ≥ 22.15 / 23.5):
 * `node --import spanweave/register app.ts` (Node's type stripping loads the other files), or
 * `node --import tsx --import spanweave/register app.ts` (tsx does, registered first). A file
 * with tags is compiled here, from its source, because the comments are gone once type stripping
 * or tsx has run; every other file goes on unseen.
 * Stack traces are mapped back to the TypeScript source (source maps are turned on).
 */
interface LoadResult {
  format?: string | null;
  source?: string | Buffer | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}
type Load = (url: string, context: { format?: string | null }, nextLoad: (url: string, context?: object) => LoadResult) => LoadResult;
type RegisterHooks = (hooks: { load: Load }) => unknown;

const registerHooks = (nodeModule as { registerHooks?: RegisterHooks }).registerHooks;
if (typeof registerHooks !== 'function') {
  throw new Error(
    `spanweave/register needs module.registerHooks (Node >= 22.15 or >= 23.5; this is ${process.version}). ` +
      'On older Node, compile with tspc, or run with ts-node: node -r spanweave/ts-node app.ts',
  );
}

const transform = createSourceTransformer();
process.setSourceMapsEnabled(true);

/** The file compiled here, or `undefined` to leave it to the next loader. */
function compile(fileName: string, format: 'module' | 'commonjs'): string | undefined {
  if (!isUserSource(fileName)) return undefined;
  const traced = transform(fileName, readFileSync(fileName, 'utf8'), { module: format === 'module' ? 'esm' : 'commonjs' });
  if (traced === undefined) return undefined;
  if (traced.hasErrors) throw new SyntaxError(traced.message);
  if (traced.message) process.emitWarning(traced.message, { code: 'SPANWEAVE_TAG' });
  traced.map.sources = [pathToFileURL(fileName).href];
  return traced.code + inlineSourceMap(traced.map);
}

registerHooks({
  load(url, context, nextLoad) {
    const fileName = url.startsWith('file:') ? fileURLToPath(url) : '';
    if (!isUserSource(fileName)) return nextLoad(url, context);
    const format = moduleFormat(fileName, context.format);
    const source = compile(fileName, format);
    return source === undefined ? nextLoad(url, context) : { format, source, shortCircuit: true };
  },
});

// A loader registered before this one may compile `require`d TypeScript in its own
// `require.extensions` handler (tsx does), which Node's hooks never see: compile tagged files first.
type ExtensionHandler = (module: { _compile(code: string, fileName: string): unknown }, fileName: string) => void;
const extensions = (nodeModule as unknown as { Module: { _extensions: Record<string, ExtensionHandler | undefined> } }).Module._extensions;
for (const extension of ['.ts', '.cts', '.tsx']) {
  const next = extensions[extension];
  if (next === undefined) continue;
  extensions[extension] = (module, fileName) => {
    const source = compile(fileName, 'commonjs');
    if (source === undefined) next(module, fileName);
    else module._compile(source, fileName);
  };
}

/** `module` or `commonjs`, as Node decides: the resolver's answer, else the extension, else package.json's `type`. */
function moduleFormat(fileName: string, resolved: string | null | undefined): 'module' | 'commonjs' {
  if (resolved) return resolved.startsWith('module') ? 'module' : 'commonjs';
  if (/\.m[jt]sx?$/.test(fileName)) return 'module';
  if (/\.c[jt]sx?$/.test(fileName)) return 'commonjs';
  return isModulePackage(dirname(fileName)) ? 'module' : 'commonjs';
}
