// gRPC throughput, latency and CPU time per RPC on 127.0.0.1, one server process and one client
// process per setting: no tracing; the SDK alone; @opentelemetry/instrumentation-grpc; a
// hand-written minimal tracing (grpc/minimal.cjs: the floor), and the same recording the address
// attributes spanweave records; spanweave (tags, compiled with tspc), and spanweave with a
// MeterProvider recording its duration metrics. Every tracing setting records with the same SDK
// (sdk.cjs). Each repetition starts new processes and runs every workload setting after setting
// (in a rotated order), so that the machine's drift and each process's luck fall on all settings
// alike; medians of `reps` repetitions are reported. CPU time
// is each process's own (`process.cpuUsage()`, user + system), which moves far less than
// throughput on shared cores; each process also profiles itself over the same calls
// (profile.mjs), which tells how much of that CPU is in the tracing code's own frames: the figure
// that still tells the tracing settings apart where whole processes' luck does not.
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { child, fixed, median, quantile, rotated, share, table } from './harness.mjs';
import { answerProfiles, CATEGORIES, functionRows, perCall, profiled } from './profile.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const sdk = ['--require', join(here, 'sdk.cjs')];
const SETTINGS = {
  'no tracing': { build: 'out-plain', preload: [], env: {} },
  // The SDK registered (its AsyncLocalStorage context manager, a provider) and nothing traced:
  // the floor both instrumentations stand on.
  'SDK only': { build: 'out-plain', preload: sdk, env: { BENCH_SDK: '1' } },
  'instrumentation-grpc': { build: 'out-plain', preload: [...sdk, '--require', join(here, 'grpc/otel-grpc.cjs')], env: { BENCH_SDK: '1' } },
  'hand-written minimal': { build: 'out-plain', preload: [...sdk, '--require', join(here, 'grpc/minimal.cjs')], env: { BENCH_SDK: '1' } },
  // The same, with the address attributes spanweave's spans hold as well.
  'minimal + addresses': { build: 'out-plain', preload: [...sdk, '--require', join(here, 'grpc/minimal.cjs')], env: { BENCH_SDK: '1', BENCH_ADDRESSES: '1' } },
  spanweave: { build: 'out-spanweave', preload: sdk, env: { BENCH_SDK: '1' } },
  'spanweave + metrics': { build: 'out-spanweave', preload: sdk, env: { BENCH_SDK: '1', BENCH_METRICS: '1' } },
};
const STREAM_MESSAGES = 100;
const WORKLOADS = [1, 16, 64].flatMap((concurrency) => [
  { name: `unary c=${concurrency}`, kind: 'unary', concurrency, calls: 10_000 },
  { name: `stream c=${concurrency}`, kind: 'stream', concurrency, calls: 1000 },
]);

const load = (build) => createRequire(import.meta.url)(join(here, 'grpc', build, 'echo.js'));

/** The server process: prints its port, then answers for its CPU time and profiles (answerProfiles). */
async function serve(build) {
  console.log(JSON.stringify({ port: await load(build).startServer() }));
  await answerProfiles();
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
  const { cpu, profile } = await profiled(() => Promise.all(Array.from({ length: concurrency }, worker)));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort();
  return { perSecond: total / seconds, p50: quantile(latencies, 0.5) / 1e3, p99: quantile(latencies, 0.99) / 1e3, clientCpu: cpu / total, clientProfile: profile };
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

/**
 * One workload on one setting: the client's figures, the server's CPU time per call over it, and
 * both processes' CPU per call by owner, from their profiles.
 */
async function measure({ client, server }, workload) {
  const before = await server.ask('start');
  const { clientProfile, ...sample } = await client.ask(workload);
  const { cpu, profile } = await server.ask('stop');
  const serverCpu = (cpu - before) / workload.calls;
  return { ...sample, serverCpu, ...perCall(clientProfile, sample.clientCpu, profile, serverCpu) };
}

const FUNCTIONS_WORKLOAD = 'unary c=16';

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
      const runs = samples[name][workload];
      const of = (key) => median(runs.map((sample) => sample[key]));
      const owners = Object.fromEntries(CATEGORIES.map((owner) => [owner, median(runs.map((sample) => sample.owners[owner]))]));
      results[name][workload] = { perSecond: of('perSecond'), p50: of('p50'), p99: of('p99'), clientCpu: of('clientCpu'), serverCpu: of('serverCpu'), tracing: of('tracing'), owners };
    }
  }
  const base = results['no tracing'];
  const overhead = (name, workload, from = base) => 1 - results[name][workload].perSecond / from[workload].perSecond;
  const cpu = (name, workload) => results[name][workload].clientCpu + results[name][workload].serverCpu;
  const addedCpu = (name, workload) => cpu(name, workload) - cpu('no tracing', workload);
  const percent = (value) => `${(value * 100).toFixed(1)}%`;
  const rows = Object.keys(base).flatMap((workload) =>
    names.map((name) => {
      const { perSecond, p50, p99, clientCpu, serverCpu } = results[name][workload];
      const traced = name !== 'no tracing';
      return [workload, name, fixed(perSecond, 0), fixed(p50, 0), fixed(p99, 0), traced ? percent(overhead(name, workload)) : '', fixed(clientCpu, 1), fixed(serverCpu, 1), traced ? fixed(addedCpu(name, workload), 1) : ''];
    }),
  );
  const ownerRows = Object.keys(base).flatMap((workload) =>
    names.map((name) => {
      const { owners, tracing } = results[name][workload];
      return [workload, name, fixed(tracing, 1), ...CATEGORIES.map((owner) => fixed(owners[owner], 1))];
    }),
  );
  const tracing = (name, workload) => results[name][workload].tracing;
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
  const others = ['instrumentation-grpc', 'hand-written minimal', 'minimal + addresses'];
  const profiledNames = [...others, 'spanweave'];
  const tracingSummary = Object.keys(base).map((workload) => [
    workload,
    ...profiledNames.map((name) => fixed(tracing(name, workload), 1)),
    ...others.map((name) => share(tracing('spanweave', workload), tracing(name, workload))),
  ]);
  return {
    results,
    markdown: [
      `Calls per second (a stream call is ${STREAM_MESSAGES} server messages), latency per call in µs, CPU time per call in µs (each process's user + system); median of ${smoke ? 1 : reps} runs.`,
      '',
      table(['workload', 'setting', 'calls/s', 'p50 µs', 'p99 µs', 'throughput lost', 'client CPU µs', 'server CPU µs', 'CPU added µs'], rows),
      '',
      `Where that CPU goes, from each process's own profile over the same calls (V8's sampling profiler in the process, [bench/profile.mjs](../bench/profile.mjs)): µs per call, client + server, by the owner of the code; "tracing code" is the instrumentation's own code and the OpenTelemetry API and SDK's together:`,
      '',
      table(['workload', 'setting', 'tracing code µs', ...CATEGORIES.map((owner) => `${owner} µs`)], ownerRows),
      '',
      'CPU added per RPC (client + server, whole processes) against no tracing, and throughput lost, side by side:',
      '',
      table(['workload', 'instrumentation-grpc µs', 'hand-written minimal µs', 'spanweave µs', 'vs instrumentation-grpc (target ≤ 0.50)', 'vs minimal (target ≤ 1.25)', 'throughput lost vs instrumentation-grpc (target ≤ 0.50)', 'metrics add µs'], summary),
      '',
      'CPU per RPC in the tracing code (client + server, from the profiles), side by side:',
      '',
      table(['workload', ...profiledNames.map((name) => `${name} µs`), ...others.map((name) => `spanweave / ${name}`)], tracingSummary),
      '',
      `The tracing code's functions with the most CPU at ${FUNCTIONS_WORKLOAD}, µs per call (mean of the runs; a function's own time and the builtins and Node code it calls):`,
      '',
      table(['side', 'function', ...profiledNames], functionRows((name) => samples[name][FUNCTIONS_WORKLOAD], profiledNames)),
    ].join('\n'),
  };
}

const role = process.argv[2];
if (role === '--server') await serve(process.argv[3]);
else if (role === '--client') await clientLoop(process.argv[3], Number(process.argv[4]));
