// Build time: plain tsc, tspc without plugins (ts-patch's own cost), tspc with the spanweave
// plugin, and tsc patched on disk by `ts-patch install` with the plugin, on a generated project of
// 500 files / 10,000 functions with 10% of them tagged, and on the same project without tags.
// Runs interleaved; the median wall time of each is reported.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed, median, ratio, table } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const TSC = require.resolve('typescript/bin/tsc');
const TSPC = require.resolve('ts-patch/bin/tspc.js');

/** A copy of typescript patched in place by `ts-patch install`: its tsc reads plugins itself. */
function installedPatch() {
  const dir = join(here, '.work/patched/typescript');
  rmSync(dir, { recursive: true, force: true });
  cpSync(dirname(dirname(TSC)), dir, { recursive: true });
  execFileSync(process.execPath, [require.resolve('ts-patch/bin/ts-patch.js'), 'install', '-s', '-d', dir], { stdio: 'inherit' });
  return join(dir, 'bin/tsc');
}

/** One generated module: a class, functions of several shapes, calls between them. */
function moduleSource(file, functions, tagEvery) {
  const lines = [`// generated: file ${file}`, `import { helper${file} } from './shared';`, ''];
  for (let i = 0; i < functions; i++) {
    const tag = tagEvery > 0 && i % tagEvery === 0 ? `/** @traced attr.item.id=id */\n` : `/** Computes entry ${i}. */\n`;
    const name = `f${file}_${i}`;
    switch (i % 4) {
      case 0:
        lines.push(`${tag}export function ${name}(id: number, label = 'x'): string {\n  const values = [id, id * 2, id * 3].map((v) => v + ${i});\n  return label + values.join(',') + helper${file}(id);\n}`);
        break;
      case 1:
        lines.push(`${tag}export async function ${name}(id: number): Promise<number> {\n  await Promise.resolve();\n  if (id < 0) throw new Error('negative ${i}');\n  return id + ${i};\n}`);
        break;
      case 2:
        lines.push(`${tag}export const ${name} = (id: number, { scale = 2 }: { scale?: number } = {}): number => id * scale + ${i};`);
        break;
      default:
        lines.push(`export class C${name} {\n  private total = 0;\n  ${tag.replace('\n', '\n  ')}add(id: number): number {\n    this.total += id;\n    return this.total;\n  }\n}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function generate(dir, { files, functionsPerFile, tagEvery }) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'src'), { recursive: true });
  const compilerOptions = { target: 'ES2022', module: 'commonjs', strict: true, rootDir: 'src', outDir: 'out', skipLibCheck: true, types: [] };
  writeFileSync(join(dir, 'tsconfig.plain.json'), JSON.stringify({ compilerOptions, include: ['src'] }, null, 2));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, plugins: [{ transform: 'spanweave/transformer' }] }, include: ['src'] }, null, 2));
  const shared = Array.from({ length: files }, (_, file) => `export function helper${file}(n: number): string { return String(n % ${file + 7}); }`);
  writeFileSync(join(dir, 'src/shared.ts'), `${shared.join('\n')}\n`);
  for (let file = 0; file < files; file++) writeFileSync(join(dir, `src/m${file}.ts`), moduleSource(file, functionsPerFile, tagEvery));
}

function seconds(args, cwd) {
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, args, { cwd, stdio: 'inherit' });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function runBuild({ smoke = false, reps = 3 } = {}) {
  const shape = smoke ? { files: 10, functionsPerFile: 20 } : { files: 500, functionsPerFile: 20 };
  // The smoke run (CI) builds one project: it checks that the benchmark runs, not what it measures.
  const projects = smoke ? { 'tagged (10% of functions)': 10 } : { 'tagged (10% of functions)': 10, 'no tags': 0 };
  const compilers = {
    tsc: [TSC, '-p', 'tsconfig.plain.json'],
    'tspc, no plugin': [TSPC, '-p', 'tsconfig.plain.json'],
    'tspc + spanweave': [TSPC, '-p', 'tsconfig.json'],
    'tsc after ts-patch install + spanweave': [installedPatch(), '-p', 'tsconfig.json'],
  };
  const results = {};
  for (const [project, tagEvery] of Object.entries(projects)) {
    const dir = join(here, '.work', tagEvery ? 'tagged' : 'untagged');
    generate(dir, { ...shape, tagEvery });
    const samples = Object.fromEntries(Object.keys(compilers).map((name) => [name, []]));
    for (let rep = 0; rep < (smoke ? 1 : reps); rep++) for (const [name, args] of Object.entries(compilers)) samples[name].push(seconds(args, dir));
    results[project] = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
  }
  const rows = Object.entries(results).map(([project, r]) => {
    const installed = r['tsc after ts-patch install + spanweave'];
    return [project, fixed(r.tsc, 2), fixed(r['tspc, no plugin'], 2), fixed(r['tspc + spanweave'], 2), fixed(installed, 2), ratio(r['tspc + spanweave'], r.tsc), ratio(installed, r.tsc), ratio(r['tspc + spanweave'], r['tspc, no plugin'])];
  });
  return {
    results,
    markdown: [
      `${shape.files} files, ${shape.files * shape.functionsPerFile} functions; seconds, median of ${smoke ? 1 : reps} builds.`,
      '',
      table(['project', 'tsc s', 'tspc, no plugin s', 'tspc + spanweave s', 'tsc after ts-patch install + spanweave s', 'tspc + spanweave vs tsc (target ≤ 1.10×)', 'installed patch + spanweave vs tsc', 'the plugin alone (tspc + spanweave vs tspc)'], rows),
    ].join('\n'),
  };
}
