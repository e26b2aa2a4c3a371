// node bundle-build.mjs <tool> <with|without>, in a generated project's folder: one bundle of its
// entry.ts (every module) to bundle-<tool>/, CommonJS for Node with a source map, through the
// tool's API, with spanweave's plugin for that tool (built in dist/) or without it. The runtime and
// the OpenTelemetry API stay external, so that both builds bundle the same code.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const [tool, setting] = process.argv.slice(2);
const entry = resolve('entry.ts');
const outDir = resolve(`bundle-${tool}`);
const external = [/^@opentelemetry\//, /^spanweave\//];
const plugins = setting === 'with' ? [require(join(here, `../dist/transformer/adapters/${tool}.js`)).spanweave()] : [];

/** Rollup reads no TypeScript: esbuild's transform strips the types after spanweave, as rollup-plugin-esbuild does, and `./m` finds `./m.ts`. */
function esbuildTypeScript() {
  const { transform } = require('esbuild');
  return {
    name: 'esbuild-typescript',
    resolveId: (source, importer) => (importer && source.startsWith('.') && !/\.[cm]?[jt]s$/.test(source) ? resolve(dirname(importer), `${source}.ts`) : null),
    async transform(code, id) {
      if (!id.endsWith('.ts')) return null;
      const result = await transform(code, { loader: 'ts', sourcefile: id, sourcemap: 'external', target: 'es2022' });
      return { code: result.code, map: result.map };
    },
  };
}

const builds = {
  async esbuild() {
    const { build } = await import('esbuild');
    await build({ entryPoints: [entry], outfile: join(outDir, 'entry.js'), bundle: true, platform: 'node', format: 'cjs', sourcemap: true, external: ['@opentelemetry/*', 'spanweave/*'], logLevel: 'error', plugins });
  },
  async vite() {
    const { build } = await import('vite');
    await build({ root: process.cwd(), configFile: false, logLevel: 'error', plugins, build: { ssr: entry, outDir, emptyOutDir: true, sourcemap: true, minify: false, rollupOptions: { external, output: { format: 'cjs' } } } });
  },
  async rollup() {
    const { rollup } = await import('rollup');
    const bundle = await rollup({ input: entry, external, plugins: [...plugins, esbuildTypeScript()] });
    await bundle.write({ file: join(outDir, 'entry.js'), format: 'cjs', sourcemap: true });
  },
  async rolldown() {
    const { rolldown } = await import('rolldown');
    const bundle = await rolldown({ input: entry, external, platform: 'node', plugins, logLevel: 'silent' });
    await bundle.write({ file: join(outDir, 'entry.js'), format: 'cjs', sourcemap: true });
  },
  async rspack() {
    const { rspack } = require('@rspack/core');
    const compiler = rspack({
      mode: 'none',
      target: 'node',
      context: process.cwd(),
      entry,
      output: { path: outDir, filename: 'entry.js', library: { type: 'commonjs2' } },
      devtool: 'source-map',
      resolve: { extensions: ['.ts', '.js'] },
      externals: external,
      plugins,
      module: { rules: [{ test: /\.ts$/, loader: 'builtin:swc-loader', options: { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }, type: 'javascript/auto' }] },
    });
    const stats = await new Promise((done, fail) => compiler.run((error, result) => (error ? fail(error) : done(result))));
    await new Promise((done) => compiler.close(done));
    if (stats.hasErrors()) throw new Error(stats.toString({ colors: false, all: false, errors: true }));
  },
};

await builds[tool]();
