// The per-file cost of the bundler plugins' transform, inside one process: every file of a generated
// project through the weave core (weave(), what the unplugin adapters call), and through the path
// the adapters took before it (TypeScript's transpileModule with the spanweave transformer,
// adapters/source.ts), one round of warm-up then `rounds` rounds; prints, for each path, the median
// over the rounds of each tagged file's time, its median and 95th percentile over the tagged files,
// and the median total of a round (every file, untagged ones included), all in ms.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, quantile, rotated } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { weave } = require(join(here, '../dist/transformer/weave/index.js'));
const { createSourceTransformer } = require(join(here, '../dist/transformer/adapters/source.js'));

const [dir, rounds] = [process.argv[2], Number(process.argv[3])];
const files = readdirSync(join(dir, 'src')).map((name) => [join(dir, 'src', name), readFileSync(join(dir, 'src', name), 'utf8')]);
const transpile = createSourceTransformer?.(dir);
const paths = {
  weave: (file, code) => weave(file, code)?.changed,
  ...(transpile && { 'transpileModule + transformer': (file, code) => transpile(file, code, { module: 'esm' }) !== undefined }),
};

const samples = Object.fromEntries(Object.keys(paths).map((name) => [name, { perFile: files.map(() => []), totals: [], tagged: [] }]));
for (let round = -1; round < rounds; round++) {
  // Rotated, so that neither path always runs after the other (its garbage, a busy neighbour).
  for (const name of rotated(Object.keys(paths), round + 1)) {
    const { perFile, totals } = samples[name];
    const tagged = [];
    const start = process.hrtime.bigint();
    files.forEach(([file, code], index) => {
      const fileStart = process.hrtime.bigint();
      if (paths[name](file, code)) tagged.push(index);
      if (round >= 0) perFile[index].push(Number(process.hrtime.bigint() - fileStart) / 1e6);
    });
    if (round >= 0) totals.push(Number(process.hrtime.bigint() - start) / 1e6);
    samples[name].tagged = tagged;
  }
}
const results = Object.fromEntries(
  Object.entries(samples).map(([name, { perFile, totals, tagged }]) => {
    const times = tagged.map((index) => median(perFile[index])).sort((a, b) => a - b);
    return [name, { files: files.length, tagged: tagged.length, median: median(times), p95: quantile(times, 0.95), total: median(totals) }];
  }),
);
console.log(JSON.stringify(results));
