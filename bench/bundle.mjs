// Bundlers and TypeScript 7: the build benchmark's generated project (500 files, 10,000 functions,
// one in ten tagged) with a tag in every file, and with tags in a tenth of the files, bundled by
// each tool without and with spanweave's plugin for it (bundle-build.mjs), and compiled by
// TypeScript 7's tsc alone and by `spanweave build` (the same tsc, then the emitted JavaScript
// woven). Each build is a process of its own, all settings rotated in each of five rounds; the
// median CPU time of the build's whole process tree (build-cpu.cjs: esbuild's service and the
// native tsc are processes of their own) is compared, wall time beside it. The weave core's cost
// per file is also measured inside one process (weave-core.mjs), beside the path the adapters
// took before it.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, generate } from './build.mjs';
import { fixed, median, ratio, rotated, runJson, table } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const TYPESCRIPT7 = join(here, '../node_modules/typescript7');
const CLI = join(here, '../dist/transformer/cli/main.js');
// Rollup is left out: bundle-build.mjs builds with it, but one build of the project takes about
// six times the others' CPU (Rollup's own, with and without spanweave).
const BUNDLERS = ['esbuild', 'vite', 'rolldown', 'rspack'];
const PROJECTS = { 'a tag in every file': { tagFileEvery: 1, target: '≤ 2× (1.5×)' }, 'tags in a tenth of the files': { tagFileEvery: 10, target: '≤ 1.05×' } };

const settings = {
  ...Object.fromEntries(BUNDLERS.flatMap((tool) => [tool, `${tool} + spanweave`].map((name, i) => [name, [join(here, 'bundle-build.mjs'), tool, i ? 'with' : 'without']]))),
  'tsc 7': [join(TYPESCRIPT7, 'bin/tsc'), '-p', 'tsconfig.json'],
  'spanweave build': [CLI, 'build', '--typescript', TYPESCRIPT7, '-p', 'tsconfig.json'],
};

export function runBundle({ smoke = false, reps = 5 } = {}) {
  const shape = smoke ? { files: 10, functionsPerFile: 20 } : { files: 500, functionsPerFile: 20 };
  const projects = smoke ? { 'a tag in every file': PROJECTS['a tag in every file'] } : PROJECTS;
  const results = {};
  for (const [project, { tagFileEvery }] of Object.entries(projects)) {
    const dir = join(here, '.work', `bundle-${tagFileEvery}`);
    generate(dir, { ...shape, tagEvery: 10, tagFileEvery });
    // Every module as a namespace: nothing is shaken out, and Rollup does not resolve 10,000 names through `export *`.
    writeFileSync(join(dir, 'entry.ts'), Array.from({ length: shape.files }, (_, file) => `export * as m${file} from './src/m${file}';\n`).join(''));
    const samples = Object.fromEntries(Object.keys(settings).map((name) => [name, []]));
    for (let rep = 0; rep < (smoke ? 1 : reps); rep++) {
      for (const name of rotated(Object.keys(settings), rep)) samples[name].push(build(settings[name], dir));
    }
    results[project] = {
      builds: Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, { cpu: median(values.map((v) => v.tree)), wall: median(values.map((v) => v.wall)) }])),
      core: runJson([join(here, 'weave-core.mjs'), dir, String(smoke ? 1 : 10)]),
    };
  }
  const seconds = ({ cpu, wall }) => `${fixed(cpu, 2)} (${fixed(wall, 2)})`;
  const pairs = [...BUNDLERS.map((tool) => [tool, `${tool} + spanweave`]), ['tsc 7', 'spanweave build']];
  const rows = Object.entries(results).flatMap(([project, { builds }]) =>
    pairs.map(([without, withSpanweave]) => [project, without, seconds(builds[without]), seconds(builds[withSpanweave]), ratio(builds[withSpanweave].cpu, builds[without].cpu), without === 'tsc 7' ? '≤ 1.3×' : PROJECTS[project].target]),
  );
  const coreRows = Object.entries(results).flatMap(([project, { core }]) =>
    Object.entries(core).map(([path, r]) => [project, path, `${r.tagged} of ${r.files}`, fixed(r.median, 2), fixed(r.p95, 2), fixed(r.total, 0)]),
  );
  return {
    results,
    markdown: [
      `${shape.files} files, ${shape.files * shape.functionsPerFile} functions, one in ten tagged in the files with tags. CPU seconds of the build's process tree (wall seconds in brackets), median of ${smoke ? 1 : reps} builds; the ratios are of CPU time. "without" is the tool alone (for TypeScript 7, \`tsc\` 7's emit), "with" the same build with spanweave's plugin (for TypeScript 7, \`spanweave build\`: \`tsc\` 7, then the emitted JavaScript woven).`,
      '',
      table(['project', 'tool', 'without s', 'with spanweave s', 'with / without', 'target'], rows),
      '',
      `The weave core alone, inside one process (every file of the project, one round of warm-up, then ${smoke ? 1 : 10} rounds; a file's time is its median over the rounds): ms per tagged file, and a round's total over all files. Beside it, the path the adapters took before it: TypeScript's \`transpileModule\` with the spanweave transformer. Target: a median ≤ 1 ms per tagged file.`,
      '',
      table(['project', 'path', 'tagged files', 'median ms per tagged file', 'p95 ms', 'all files ms'], coreRows),
    ].join('\n'),
  };
}
