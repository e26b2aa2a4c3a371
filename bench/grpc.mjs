// gRPC throughput and latency on 127.0.0.1, one server process and one client process per
// setting: no tracing; @opentelemetry/instrumentation-grpc; spanweave (tags, compiled with tspc).
// Both traced settings record with the same SDK (sdk.cjs). Each setting runs `reps` times, in a
// rotated order, and the median is reported.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed, median, quantile, runJson, table } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const sdk = ['--require', join(here, 'sdk.cjs')];
const SETTINGS = {
  'no tracing': { build: 'out-plain', preload: [], env: {} },
  'instrumentation-grpc': { build: 'out-plain', preload: [...sdk, '--require', join(here, 'grpc/otel-grpc.cjs')], env: { BENCH_SDK: '1' } },
  spanweave: { build: 'out-spanweave', preload: sdk, env: { BENCH_SDK: '1' } },
};
const CONCURRENCY = [1, 16, 64];
const STREAM_MESSAGES = 100;

const load = (build) => createRequire(import.meta.url)(join(here, 'grpc', build, 'echo.js'));

async function serve(build) {
  console.log(JSON.stringify({ port: await load(build).startServer() }));
}

/** Runs `total` calls, `concurrency` at a time; each call's latency in ns. */
async function drive(call, total, concurrency) {
  const latencies = new Float64Array(total);
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const start = process.hrtime.bigint();
      await call();
      latencies[index] = Number(process.hrtime.bigint() - start);
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort();
  return { perSecond: total / seconds, p50: quantile(latencies, 0.5) / 1e3, p99: quantile(latencies, 0.99) / 1e3 };
}

async function callAll(build, port, smoke) {
  const client = load(build).connect(port);
  const unary = () => new Promise((resolve, reject) => client.say({ text: 'hello' }, (error) => (error ? reject(error) : resolve())));
  const stream = () =>
    new Promise((resolve, reject) => {
      const call = client.stream({ count: STREAM_MESSAGES });
      call.on('data', () => undefined).on('end', resolve).on('error', reject);
    });
  await drive(unary, smoke ? 20 : 2000, 16); // warm-up
  const results = {};
  for (const concurrency of CONCURRENCY) {
    results[`unary c=${concurrency}`] = await drive(unary, smoke ? 50 : 10_000, concurrency);
    results[`stream c=${concurrency}`] = await drive(stream, smoke ? 10 : 1000, concurrency);
  }
  client.close();
  console.log(JSON.stringify(results));
}

/** One server and one client process with a setting's preloads; the client's results. */
async function measure({ build, preload, env }, smoke) {
  const options = { env: { ...process.env, ...env } };
  const server = spawn(process.execPath, [...preload, join(here, 'grpc.mjs'), '--server', build], { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = await createInterface({ input: server.stdout })[Symbol.asyncIterator]().next().then(({ value }) => [value]);
    const { port } = JSON.parse(line);
    return runJson([...preload, join(here, 'grpc.mjs'), '--client', build, String(port), ...(smoke ? ['--smoke'] : [])], options);
  } finally {
    server.kill();
  }
}

export async function runGrpc({ smoke = false, reps = 3 } = {}) {
  const names = Object.keys(SETTINGS);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let rep = 0; rep < (smoke ? 1 : reps); rep++) {
    for (const name of [...names.slice(rep % names.length), ...names.slice(0, rep % names.length)]) samples[name].push(await measure(SETTINGS[name], smoke));
  }
  const results = {};
  for (const name of names) {
    results[name] = {};
    for (const workload of Object.keys(samples[name][0])) {
      const of = (key) => median(samples[name].map((sample) => sample[workload][key]));
      results[name][workload] = { perSecond: of('perSecond'), p50: of('p50'), p99: of('p99') };
    }
  }
  const base = results['no tracing'];
  const overhead = (name, workload) => 1 - results[name][workload].perSecond / base[workload].perSecond;
  const percent = (value) => `${(value * 100).toFixed(1)}%`;
  const rows = Object.keys(base).flatMap((workload) =>
    names.map((name) => {
      const { perSecond, p50, p99 } = results[name][workload];
      return [workload, name, fixed(perSecond, 0), fixed(p50, 0), fixed(p99, 0), name === 'no tracing' ? '' : percent(overhead(name, workload))];
    }),
  );
  const summary = Object.keys(base).map((workload) => {
    const ours = overhead('spanweave', workload);
    const theirs = overhead('instrumentation-grpc', workload);
    return [workload, percent(theirs), percent(ours), theirs > 0 ? `${(ours / theirs).toFixed(2)}` : 'n/a'];
  });
  return {
    results,
    markdown: [
      `Calls per second (a stream call is ${STREAM_MESSAGES} server messages), latency per call in µs; median of ${smoke ? 1 : reps} runs.`,
      '',
      table(['workload', 'setting', 'calls/s', 'p50 µs', 'p99 µs', 'throughput lost'], rows),
      '',
      table(['workload', 'instrumentation-grpc overhead', 'spanweave overhead', 'spanweave / instrumentation-grpc (target ≤ 0.50)'], summary),
    ].join('\n'),
  };
}

const role = process.argv[2];
if (role === '--server') await serve(process.argv[3]);
else if (role === '--client') await callAll(process.argv[3], Number(process.argv[4]), process.argv.includes('--smoke'));
