// gRPC throughput, latency and CPU time per RPC on 127.0.0.1, one server process and one client
// process per setting: no tracing; the SDK alone; @opentelemetry/instrumentation-grpc; a
// hand-written minimal tracing (grpc/minimal.cjs: the floor); spanweave (tags, compiled with
// tspc), and spanweave with a MeterProvider recording its duration metrics. Every tracing
// setting records with the same SDK (sdk.cjs). Each repetition starts new processes and runs every
// workload setting after setting (in a rotated order), so that the machine's drift and each
// process's luck fall on all settings alike; medians of `reps` repetitions are reported. CPU time
// is each process's own (`process.cpuUsage()`, user + system), which moves far less than
// throughput on shared cores.
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { child, cpuMicros, fixed, median, quantile, rotated, table } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const sdk = ['--require', join(here, 'sdk.cjs')];
const SETTINGS = {
  'no tracing': { build: 'out-plain', preload: [], env: {} },
  // The SDK registered (its AsyncLocalStorage context manager, a provider) and nothing traced:
  // the floor both instrumentations stand on.
  'SDK only': { build: 'out-plain', preload: sdk, env: { BENCH_SDK: '1' } },
  'instrumentation-grpc': { build: 'out-plain', preload: [...sdk, '--require', join(here, 'grpc/otel-grpc.cjs')], env: { BENCH_SDK: '1' } },
  'hand-written minimal': { build: 'out-plain', preload: [...sdk, '--require', join(here, 'grpc/minimal.cjs')], env: { BENCH_SDK: '1' } },
  spanweave: { build: 'out-spanweave', preload: sdk, env: { BENCH_SDK: '1' } },
  'spanweave + metrics': { build: 'out-spanweave', preload: sdk, env: { BENCH_SDK: '1', BENCH_METRICS: '1' } },
};
const STREAM_MESSAGES = 100;
const WORKLOADS = [1, 16, 64].flatMap((concurrency) => [
  { name: `unary c=${concurrency}`, kind: 'unary', concurrency, calls: 10_000 },
  { name: `stream c=${concurrency}`, kind: 'stream', concurrency, calls: 1000 },
]);

const load = (build) => createRequire(import.meta.url)(join(here, 'grpc', build, 'echo.js'));

/** The server process: prints its port, then its CPU time so far for each line it reads. */
async function serve(build) {
  console.log(JSON.stringify({ port: await load(build).startServer() }));
  for await (const _ of createInterface({ input: process.stdin })) console.log(JSON.stringify(cpuMicros()));
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
  const [start, cpu] = [process.hrtime.bigint(), cpuMicros()];
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const clientCpu = (cpuMicros() - cpu) / total;
  latencies.sort();
  return { perSecond: total / seconds, p50: quantile(latencies, 0.5) / 1e3, p99: quantile(latencies, 0.99) / 1e3, clientCpu };
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
  return { client, server, stop };
}

/** One workload on one setting: the client's figures, and the server's CPU time per call over it. */
async function measure({ client, server }, workload) {
  const before = await server.ask('cpu');
  const sample = await client.ask(workload);
  return { ...sample, serverCpu: ((await server.ask('cpu')) - before) / workload.calls };
}

export async function runGrpc({ smoke = false, reps = 5 } = {}) {
  const names = Object.keys(SETTINGS);
  const samples = Object.fromEntries(names.map((name) => [name, Object.fromEntries(WORKLOADS.map((w) => [w.name, []]))]));
  for (let rep = 0; rep < (smoke ? 1 : reps); rep++) {
    // New processes for each repetition: two processes running the same code differ by tens of µs
    // per call (JIT and memory layout), as much as the settings do, so each median spans several.
    const running = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await start(SETTINGS[name])])));
    try {
      for (const [index, workload] of WORKLOADS.entries()) {
        for (const name of rotated(names, rep + index)) {
          const calls = smoke ? Math.ceil(workload.calls / 200) : workload.calls;
          samples[name][workload.name].push(await measure(running[name], { ...workload, calls }));
        }
      }
    } finally {
      for (const { stop } of Object.values(running)) stop();
    }
  }
  const results = {};
  for (const name of names) {
    results[name] = {};
    for (const workload of Object.keys(samples[name])) {
      const of = (key) => median(samples[name][workload].map((sample) => sample[key]));
      results[name][workload] = { perSecond: of('perSecond'), p50: of('p50'), p99: of('p99'), clientCpu: of('clientCpu'), serverCpu: of('serverCpu') };
    }
  }
  const base = results['no tracing'];
  const overhead = (name, workload, from = base) => 1 - results[name][workload].perSecond / from[workload].perSecond;
  const cpu = (name, workload) => results[name][workload].clientCpu + results[name][workload].serverCpu;
  const addedCpu = (name, workload) => cpu(name, workload) - cpu('no tracing', workload);
  const percent = (value) => `${(value * 100).toFixed(1)}%`;
  const share = (ours, theirs) => (theirs > 0 ? (ours / theirs).toFixed(2) : 'n/a');
  const rows = Object.keys(base).flatMap((workload) =>
    names.map((name) => {
      const { perSecond, p50, p99, clientCpu, serverCpu } = results[name][workload];
      const traced = name !== 'no tracing';
      return [workload, name, fixed(perSecond, 0), fixed(p50, 0), fixed(p99, 0), traced ? percent(overhead(name, workload)) : '', fixed(clientCpu, 1), fixed(serverCpu, 1), traced ? fixed(addedCpu(name, workload), 1) : ''];
    }),
  );
  const summary = Object.keys(base).map((workload) => {
    const [ours, theirs, floor] = [addedCpu('spanweave', workload), addedCpu('instrumentation-grpc', workload), addedCpu('hand-written minimal', workload)];
    return [
      workload,
      fixed(theirs, 1),
      fixed(floor, 1),
      fixed(ours, 1),
      share(ours, theirs),
      share(ours, floor),
      share(overhead('spanweave', workload), overhead('instrumentation-grpc', workload)),
      fixed(addedCpu('spanweave + metrics', workload) - ours, 1),
    ];
  });
  return {
    results,
    markdown: [
      `Calls per second (a stream call is ${STREAM_MESSAGES} server messages), latency per call in µs, CPU time per call in µs (each process's user + system); median of ${smoke ? 1 : reps} runs.`,
      '',
      table(['workload', 'setting', 'calls/s', 'p50 µs', 'p99 µs', 'throughput lost', 'client CPU µs', 'server CPU µs', 'CPU added µs'], rows),
      '',
      'CPU added per RPC (client + server) against no tracing, and throughput lost, side by side:',
      '',
      table(['workload', 'instrumentation-grpc', 'hand-written minimal', 'spanweave', 'vs instrumentation-grpc (target ≤ 0.50)', 'vs minimal (target ≤ 1.25)', 'throughput lost vs instrumentation-grpc (target ≤ 0.50)', 'metrics add µs'], summary),
    ].join('\n'),
  };
}

const role = process.argv[2];
if (role === '--server') await serve(process.argv[3]);
else if (role === '--client') await clientLoop(process.argv[3], Number(process.argv[4]));
