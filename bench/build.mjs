// Build time: plain tsc, tspc without plugins (ts-patch's own cost), tspc with the spanweave
// plugin, and tsc patched on disk by `ts-patch install` without and with the plugin, on a
// generated project of 500 files / 10,000 functions with 10% of them tagged, and on the same
// project without tags. Runs interleaved; the median CPU time of each compiler process (user +
// system, which moves far less than wall time on shared cores) is compared, wall time beside it.
// The plugin's own cost is also measured inside one process (build-emit.mjs), where whole builds'
// noise (±10% here) cannot hide a few percent.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed, median, ratio, rotated, runJson, table } from './harness.mjs';

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

/** `tagEvery`: one function in so many is tagged, in one file in `tagFileEvery` (every file by default). */
export function generate(dir, { files, functionsPerFile, tagEvery, tagFileEvery = 1 }) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'src'), { recursive: true });
  const compilerOptions = { target: 'ES2022', module: 'commonjs', strict: true, rootDir: 'src', outDir: 'out', skipLibCheck: true, types: [] };
  writeFileSync(join(dir, 'tsconfig.plain.json'), JSON.stringify({ compilerOptions, include: ['src'] }, null, 2));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, plugins: [{ transform: 'spanweave/transformer' }] }, include: ['src'] }, null, 2));
  const shared = Array.from({ length: files }, (_, file) => `export function helper${file}(n: number): string { return String(n % ${file + 7}); }`);
  writeFileSync(join(dir, 'src/shared.ts'), `${shared.join('\n')}\n`);
  for (let file = 0; file < files; file++) writeFileSync(join(dir, `src/m${file}.ts`), moduleSource(file, functionsPerFile, file % tagFileEvery === 0 ? tagEvery : 0));
}

/**
 * One build, `node <args>` in `cwd`: its wall time, the CPU time the process reported as it exited,
 * and `tree`, that and its child processes' (bundle.mjs: esbuild's service, TypeScript 7's tsc).
 * A process that replaces itself with another program (TypeScript 7's `tsc` script on Node 22.15
 * and later execs the native compiler) never reaches its exit hook: its CPU, and that of the program
 * it became, is then what this process waited for (Linux's cutime + cstime, in 10 ms ticks).
 */
export function build(args, cwd) {
  const cpuFile = join(cwd, 'cpu.json');
  rmSync(cpuFile, { force: true });
  const waitedBefore = waitedForTicks();
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, ['--require', join(here, 'build-cpu.cjs'), ...args], { cwd, stdio: 'inherit', env: { ...process.env, BENCH_CPU_FILE: cpuFile } });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (!existsSync(cpuFile)) {
    const seconds = (waitedForTicks() - waitedBefore) / 100;
    return { wall, cpu: seconds, tree: seconds };
  }
  const { user, system, children } = JSON.parse(readFileSync(cpuFile, 'utf8'));
  return { wall, cpu: (user + system) / 1e6, tree: (user + system + children) / 1e6 };
}

/** The CPU ticks of this process's children that it has waited for (/proc/self/stat's cutime + cstime). */
function waitedForTicks() {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
  return fields[13] + fields[14];
}

export function runBuild({ smoke = false, reps = 5 } = {}) {
  const shape = smoke ? { files: 10, functionsPerFile: 20 } : { files: 500, functionsPerFile: 20 };
  // The smoke run (CI) builds one project: it checks that the benchmark runs, not what it measures.
  const projects = smoke ? { 'tagged (10% of functions)': 10 } : { 'tagged (10% of functions)': 10, 'no tags': 0 };
  const patched = installedPatch();
  const compilers = {
    tsc: [TSC, '-p', 'tsconfig.plain.json'],
    'tspc, no plugin': [TSPC, '-p', 'tsconfig.plain.json'],
    'tspc + spanweave': [TSPC, '-p', 'tsconfig.json'],
    'installed patch, no plugin': [patched, '-p', 'tsconfig.plain.json'],
    'installed patch + spanweave': [patched, '-p', 'tsconfig.json'],
  };
  const results = {};
  let emitted;
  for (const [project, tagEvery] of Object.entries(projects)) {
    const dir = join(here, '.work', tagEvery ? 'tagged' : 'untagged');
    generate(dir, { ...shape, tagEvery });
    const samples = Object.fromEntries(Object.keys(compilers).map((name) => [name, []]));
    for (let rep = 0; rep < (smoke ? 1 : reps); rep++) {
      // Rotated, so that no compiler always follows the same one (a warm disk cache, a busy neighbour).
      for (const name of rotated(Object.keys(compilers), rep)) samples[name].push(build(compilers[name], dir));
    }
    results[project] = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, { cpu: median(values.map((v) => v.cpu)), wall: median(values.map((v) => v.wall)) }]));
    if (tagEvery) emitted = runJson([join(here, 'build-emit.mjs'), dir, String(smoke ? 1 : 7)]);
  }
  const names = Object.keys(compilers);
  const rows = Object.entries(results).map(([project, r]) => {
    const cpu = (name) => r[name].cpu;
    return [
      project,
      ...names.map((name) => `${fixed(cpu(name), 2)} (${fixed(r[name].wall, 2)})`),
      ratio(cpu('tspc + spanweave'), cpu('tsc')),
      ratio(cpu('installed patch + spanweave'), cpu('tsc')),
      ratio(cpu('tspc + spanweave'), cpu('tspc, no plugin')),
      ratio(cpu('installed patch + spanweave'), cpu('installed patch, no plugin')),
    ];
  });
  return {
    results,
    markdown: [
      `${shape.files} files, ${shape.files * shape.functionsPerFile} functions; CPU seconds of the compiler process (wall seconds in brackets), median of ${smoke ? 1 : reps} builds; the ratios are of CPU time.`,
      '',
      table(
        ['project', ...names.map((name) => `${name} s`), 'tspc + spanweave vs tsc', 'installed patch + spanweave vs tsc', 'the plugin alone, tspc', 'the plugin alone, installed patch'],
        rows,
      ),
      '',
      pluginInOneProcess(emitted, results['tagged (10% of functions)'].tsc.cpu, smoke),
    ].join('\n'),
  };
}

/** The line on the plugin's cost measured inside one process (build-emit.mjs). */
function pluginInOneProcess(emitted, tscSeconds, smoke) {
  const [without, withPlugin] = [emitted['without the plugin'], emitted['with the plugin']];
  const added = withPlugin - without;
  return (
    `Inside one process (the tagged project's program built and checked once, then emitted ${smoke ? 1 : 7} times with and without the plugin, alternating): ` +
    `${fixed(without, 0)} ms of CPU per emit without it, ${fixed(withPlugin, 0)} ms with it. The plugin adds ${fixed(added, 0)} ms, ` +
    `${fixed((added / 1000 / tscSeconds) * 100, 1)}% of the ${fixed(tscSeconds, 2)} s of CPU \`tsc\` takes to build the project.`
  );
}
