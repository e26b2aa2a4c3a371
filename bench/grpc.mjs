// gRPC throughput and latency on 127.0.0.1, one server process and one client process per
// setting: no tracing; the SDK alone; @opentelemetry/instrumentation-grpc; spanweave (tags,
// compiled with tspc). Both instrumentations record with the same SDK (sdk.cjs). All processes
// stay up for the whole run, and each workload is run setting after setting (in a rotated order),
// `reps` times, so that the machine's drift falls on all settings alike; medians are reported.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed, median, quantile, table } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const sdk = ['--require', join(here, 'sdk.cjs')];
const SETTINGS = {
  'no tracing': { build: 'out-plain', preload: [], env: {} },
  // The SDK registered (its AsyncLocalStorage context manager, a provider) and nothing traced:
  // the floor both instrumentations stand on.
  'SDK only': { build: 'out-plain', preload: sdk, env: { BENCH_SDK: '1' } },
  'instrumentation-grpc': { build: 'out-plain', preload: [...sdk, '--require', join(here, 'grpc/otel-grpc.cjs')], env: { BENCH_SDK: '1' } },
  spanweave: { build: 'out-spanweave', preload: sdk, env: { BENCH_SDK: '1' } },
};
const STREAM_MESSAGES = 100;
const WORKLOADS = [1, 16, 64].flatMap((concurrency) => [
  { name: `unary c=${concurrency}`, kind: 'unary', concurrency, calls: 10_000 },
  { name: `stream c=${concurrency}`, kind: 'stream', concurrency, calls: 1000 },
]);

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

/** The client process: warms up, then runs each workload it reads on stdin (a JSON line). */
async function clientLoop(build, port) {
  const client = load(build).connect(port);
  const calls = {
    unary: () => new Promise((resolve, reject) => client.say({ text: 'hello' }, (error) => (error ? reject(error) : resolve()))),
    stream: () =>
      new Promise((resolve, reject) => {
        const call = client.stream({ count: STREAM_MESSAGES });
        call.on('data', () => undefined).on('end', resolve).on('error', reject);
      }),
  };
  await drive(calls.unary, 2000, 16);
  console.log(JSON.stringify({ ready: true }));
  for await (const line of createInterface({ input: process.stdin })) {
    const { kind, calls: total, concurrency } = JSON.parse(line);
    console.log(JSON.stringify(await drive(calls[kind], total, concurrency)));
  }
  client.close();
}

/** A child process that answers each line written to it with one JSON line. */
function child(args, env) {
  const spawned = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: spawned.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`${args.join(' ')} exited`);
    return JSON.parse(value);
  };
  const ask = (message) => {
    spawned.stdin.write(`${JSON.stringify(message)}\n`);
    return next();
  };
  return { next, ask, stop: () => spawned.kill() };
}

/** A server and a warmed-up client for one setting. */
async function start({ build, preload, env }) {
  const server = child([...preload, join(here, 'grpc.mjs'), '--server', build], env);
  const { port } = await server.next();
  const client = child([...preload, join(here, 'grpc.mjs'), '--client', build, String(port)], env);
  await client.next();
  const stop = () => {
    client.stop();
    server.stop();
  };
  return { client, stop };
}

export async function runGrpc({ smoke = false, reps = 5 } = {}) {
  const names = Object.keys(SETTINGS);
  const running = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await start(SETTINGS[name])])));
  const samples = Object.fromEntries(names.map((name) => [name, Object.fromEntries(WORKLOADS.map((w) => [w.name, []]))]));
  try {
    for (let rep = 0; rep < (smoke ? 1 : reps); rep++) {
      for (const [index, workload] of WORKLOADS.entries()) {
        const shift = (rep + index) % names.length;
        for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
          const calls = smoke ? Math.ceil(workload.calls / 200) : workload.calls;
          samples[name][workload.name].push(await running[name].client.ask({ ...workload, calls }));
        }
      }
    }
  } finally {
    for (const { stop } of Object.values(running)) stop();
  }
  const results = {};
  for (const name of names) {
    results[name] = {};
    for (const workload of Object.keys(samples[name])) {
      const of = (key) => median(samples[name][workload].map((sample) => sample[key]));
      results[name][workload] = { perSecond: of('perSecond'), p50: of('p50'), p99: of('p99') };
    }
  }
  const base = results['no tracing'];
  const overhead = (name, workload, from = base) => 1 - results[name][workload].perSecond / from[workload].perSecond;
  const percent = (value) => `${(value * 100).toFixed(1)}%`;
  const rows = Object.keys(base).flatMap((workload) =>
    names.map((name) => {
      const { perSecond, p50, p99 } = results[name][workload];
      return [workload, name, fixed(perSecond, 0), fixed(p50, 0), fixed(p99, 0), name === 'no tracing' ? '' : percent(overhead(name, workload))];
    }),
  );
  const share = (ours, theirs) => (theirs > 0 ? (ours / theirs).toFixed(2) : 'n/a');
  const summary = Object.keys(base).map((workload) => {
    const [ours, theirs] = [overhead('spanweave', workload), overhead('instrumentation-grpc', workload)];
    const sdk = results['SDK only'];
    const [oursBeyond, theirsBeyond] = [overhead('spanweave', workload, sdk), overhead('instrumentation-grpc', workload, sdk)];
    return [workload, percent(theirs), percent(ours), share(ours, theirs), percent(overhead('SDK only', workload)), percent(theirsBeyond), percent(oursBeyond), share(oursBeyond, theirsBeyond)];
  });
  return {
    results,
    markdown: [
      `Calls per second (a stream call is ${STREAM_MESSAGES} server messages), latency per call in µs; median of ${smoke ? 1 : reps} runs.`,
      '',
      table(['workload', 'setting', 'calls/s', 'p50 µs', 'p99 µs', 'throughput lost'], rows),
      '',
      'Throughput lost against no tracing, and beyond what registering the SDK alone costs:',
      '',
      table(['workload', 'instrumentation-grpc', 'spanweave', 'ratio (target ≤ 0.50)', 'SDK only', 'instrumentation-grpc beyond the SDK', 'spanweave beyond the SDK', 'ratio'], summary),
    ].join('\n'),
  };
}

const role = process.argv[2];
if (role === '--server') await serve(process.argv[3]);
else if (role === '--client') await clientLoop(process.argv[3], Number(process.argv[4]));
