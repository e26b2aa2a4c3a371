// Memory: the heap (after a full GC) while 1,000,000 traced calls run, sync and async, with the
// SDK recording (sdk.cjs: a BatchSpanProcessor, whose queue is bounded at 2048 spans) and with no
// SDK. Growth beyond the first checkpoint would be a leak.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { keep, runJson, table } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CHECKPOINTS = 10;

async function child(total) {
  const work = createRequire(import.meta.url)(join(here, 'calls/out/work.js'));
  const heap = async () => {
    await sleep(10); // lets the batch processor's timer and pending promises run
    globalThis.gc();
    return process.memoryUsage().heapUsed / 2 ** 20;
  };
  const result = { start: await heap(), sync: [], async: [] };
  for (let checkpoint = 0; checkpoint < CHECKPOINTS; checkpoint++) {
    for (let i = 0; i < total / CHECKPOINTS; i++) keep(work.tagged(i));
    result.sync.push(await heap());
  }
  for (let checkpoint = 0; checkpoint < CHECKPOINTS; checkpoint++) {
    for (let i = 0; i < total / CHECKPOINTS; i++) keep(await work.taggedAsync(i));
    result.async.push(await heap());
  }
  console.log(JSON.stringify(result));
}

export function runMemory({ smoke = false } = {}) {
  const total = smoke ? 10_000 : 1_000_000;
  const args = ['--expose-gc', join(here, 'memory.mjs'), '--child', String(total)];
  const settings = {
    'SDK recording': runJson(['--require', join(here, 'sdk.cjs'), ...args], { env: { ...process.env, BENCH_SDK: '1' } }),
    'no SDK': runJson(args),
  };
  const mb = (value) => value.toFixed(1);
  const rows = Object.entries(settings).flatMap(([setting, r]) =>
    ['sync', 'async'].map((shape) => [setting, shape, mb(r.start), mb(r[shape][0]), mb(r[shape][CHECKPOINTS / 2 - 1]), mb(r[shape][CHECKPOINTS - 1]), mb(r[shape][CHECKPOINTS - 1] - r[shape][0])]),
  );
  const n = (fraction) => (total * fraction).toLocaleString('en');
  return {
    results: settings,
    markdown: table(['setting', 'calls', 'heap MiB at start', `after ${n(0.1)}`, `after ${n(0.5)}`, `after ${n(1)}`, 'growth after the first checkpoint MiB'], rows),
  };
}

if (process.argv[2] === '--child') await child(Number(process.argv[3]));
