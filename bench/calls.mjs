// Per-call cost of a traced function, sync and async: untraced; spanweave with no SDK; spanweave
// and the hand-written startActiveSpan equivalent with an SDK recording; and a producer (a message
// hop, which records a duration metric) with no SDK, an SDK, and an SDK and a MeterProvider. Each
// setting runs in its own process (an SDK registered is process-wide); the functions compared run
// interleaved.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { compare, fixed, ratio, runJson, table } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));

async function child(smoke) {
  const work = createRequire(import.meta.url)(join(here, 'calls/out/work.js'));
  const sdk = process.env.BENCH_SDK === '1';
  const scale = smoke ? 0.01 : 1;
  const sync = { calls: Math.ceil(200_000 * scale), rounds: smoke ? 1 : 15, isAsync: false };
  const async = { calls: Math.ceil(50_000 * scale), rounds: smoke ? 1 : 15, isAsync: true };
  const result = sdk
    ? {
        sync: await compare({ tagged: work.tagged, handWritten: work.handWritten, producer: work.taggedProducer }, sync),
        async: await compare({ tagged: work.taggedAsync, handWritten: work.handWrittenAsync, handWrittenPromise: work.handWrittenPromise }, async),
      }
    : {
        sync: await compare({ plain: work.plain, tagged: work.tagged, producer: work.taggedProducer }, sync),
        async: await compare({ plain: work.plainAsync, tagged: work.taggedAsync }, async),
        empty: await compare({ plain: work.plainEmpty, tagged: work.taggedEmpty }, { ...sync, calls: sync.calls * 10 }),
      };
  console.log(JSON.stringify(result));
}

export function runCalls({ smoke = false } = {}) {
  const args = [join(here, 'calls.mjs'), '--child', ...(smoke ? ['--smoke'] : [])];
  const bare = runJson(args);
  const recording = runJson(['--require', join(here, 'sdk.cjs'), ...args], { env: { ...process.env, BENCH_SDK: '1' } });
  const metered = runJson(['--require', join(here, 'sdk.cjs'), ...args], { env: { ...process.env, BENCH_SDK: '1', BENCH_METRICS: '1' } });
  const rows = [
    ['sync', bare.sync, recording.sync],
    ['async', bare.async, recording.async],
  ].map(([shape, b, r]) => [shape, fixed(b.plain), fixed(b.tagged), ratio(b.tagged, b.plain), fixed(r.tagged), fixed(r.handWritten), ratio(r.tagged, r.handWritten)]);
  return {
    results: { bare, recording, metered },
    markdown: [
      table(['function', 'untraced ns/call', 'spanweave, no SDK', 'vs untraced (target ≤ 1.20×)', 'spanweave, SDK', 'startActiveSpan by hand, SDK', 'vs by hand (target ≤ 1.05×)'], rows),
      '',
      table(
        ['a producer (message hop), ns/call', 'untraced', 'no SDK', 'SDK', 'SDK + MeterProvider', 'the metric adds'],
        [['sync', fixed(bare.sync.plain), fixed(bare.sync.producer), fixed(recording.sync.producer), fixed(metered.sync.producer), ratio(metered.sync.producer, recording.sync.producer)]],
      ),
      '',
      `An empty body (\`return n\`): ${fixed(bare.empty.plain, 2)} ns untraced, ${fixed(bare.empty.tagged, 2)} ns traced with no SDK: the fixed cost of the no-SDK path is ${fixed(bare.empty.tagged - bare.empty.plain, 2)} ns.`,
      `Async, by hand in the cheapest form (a function that is no longer \`async\`, returning the promise of \`startActiveSpan\`): ${fixed(recording.async.handWrittenPromise)} ns; spanweave is ${ratio(recording.async.tagged, recording.async.handWrittenPromise)} that.`,
    ].join('\n'),
  };
}

if (process.argv.includes('--child')) await child(process.argv.includes('--smoke'));
