// CPU time per unary RPC for the stacks beyond grpc-js (fixtures/stacks, on 127.0.0.1), each beside
// what its users would otherwise trace it with: nice-grpc with nice-grpc-opentelemetry's
// middleware, Connect with a hand-written interceptor (stacks/connect-minimal.cjs; Connect-ES has
// no OpenTelemetry instrumentation). One server and one client process per setting, new ones for
// each repetition; the workload runs setting after setting (rotated), `reps` times; medians of each
// process's own CPU time (user + system) per call, throughput, and the CPU in the tracing code from
// each process's own profile (profile.mjs).
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { child, fixed, median, rotated, share, table } from './harness.mjs';
import { answerProfiles, functionRows, perCall, profiled } from './profile.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const sdk = ['--require', join(here, 'sdk.cjs')];
const STACKS = {
  'nice-grpc': {
    module: 'nice',
    // The fixture's tests' server records message events and metadata; this one records what the middleware does.
    implementation: 'tagAloneNiceEcho',
    settings: { 'no tracing': 'plain', 'nice-grpc-opentelemetry': 'plain', spanweave: 'traced' },
    options: (setting, side) => {
      if (setting !== 'nice-grpc-opentelemetry') return {};
      const otel = require('nice-grpc-opentelemetry');
      return { middleware: side === 'server' ? otel.openTelemetryServerMiddleware() : otel.openTelemetryClientMiddleware() };
    },
  },
  connect: {
    module: 'connect',
    settings: { 'no tracing': 'plain', 'hand-written interceptor': 'plain', spanweave: 'traced' },
    // spanweave's client is the fixture's one tagged without options (its tests' client records
    // message events and metadata), so that it records what the interceptor does.
    options: (setting, side) => {
      if (setting !== 'hand-written interceptor') return side === 'client' ? { tagAlone: true } : {};
      const minimal = require('./stacks/connect-minimal.cjs');
      return { interceptors: [side === 'server' ? minimal.serverInterceptor : minimal.clientInterceptor] };
    },
  },
};
const BUILDS = { plain: 'out-bench-plain', traced: 'out-bench' };
const WORKLOAD = { calls: 5000, concurrency: 16 };

const load = (stack, build) => require(join(here, '../fixtures/stacks', BUILDS[build], `${STACKS[stack].module}.js`));
/** The server process: prints its address, then answers for its CPU time and profiles (answerProfiles). */
async function serve(stack, setting) {
  const build = STACKS[stack].settings[setting];
  const options = STACKS[stack].options(setting, 'server');
  const module = load(stack, build);
  const { implementation } = STACKS[stack];
  const server = await module.startServer(implementation && module[implementation], options);
  console.log(JSON.stringify({ address: server.address }));
  await answerProfiles();
}

/** The client process: warms up, then runs the workload for each line it reads. */
async function clientLoop(stack, setting, address) {
  const build = STACKS[stack].settings[setting];
  const options = STACKS[stack].options(setting, 'client');
  const driver = stack === 'connect' ? load(stack, build).driver(address, 'grpc', '2', options) : load(stack, build).driver(address, options);
  const run = async (calls, concurrency) => {
    let next = 0;
    const worker = async () => {
      while (next++ < calls) await driver.say({ text: 'hello' });
    };
    const start = process.hrtime.bigint();
    const { cpu, profile } = await profiled(() => Promise.all(Array.from({ length: concurrency }, worker)));
    return { perSecond: calls / (Number(process.hrtime.bigint() - start) / 1e9), clientCpu: cpu / calls, clientProfile: profile };
  };
  await run(1000, 16);
  console.log(JSON.stringify({ ready: true }));
  for await (const line of createInterface({ input: process.stdin })) {
    const { calls, concurrency } = JSON.parse(line);
    console.log(JSON.stringify(await run(calls, concurrency)));
  }
  driver.close();
}

async function start(stack, setting) {
  const env = setting === 'no tracing' ? {} : { BENCH_SDK: '1' };
  const preload = setting === 'no tracing' ? [] : sdk;
  const server = child([...preload, join(here, 'stacks.mjs'), '--server', stack, setting], env);
  const { address } = await server.next();
  const client = child([...preload, join(here, 'stacks.mjs'), '--client', stack, setting, address], env);
  await client.next();
  return { server, client, stop: () => (client.stop(), server.stop()) };
}

export async function runStacks({ smoke = false, reps = 5 } = {}) {
  const workload = smoke ? { calls: 50, concurrency: 4 } : WORKLOAD;
  const rows = [];
  const summary = [];
  const functions = [];
  for (const stack of Object.keys(STACKS)) {
    const names = Object.keys(STACKS[stack].settings);
    const samples = Object.fromEntries(names.map((name) => [name, []]));
    for (let rep = 0; rep < (smoke ? 1 : reps); rep++) {
      // New processes for each repetition, as in grpc.mjs: each process's own luck is as large as what is measured.
      const running = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await start(stack, name)])));
      try {
        for (const name of rotated(names, rep)) {
          const { server, client } = running[name];
          const before = await server.ask('start');
          const { clientProfile, ...sample } = await client.ask(workload);
          const { cpu, profile } = await server.ask('stop');
          const serverCpu = (cpu - before) / workload.calls;
          samples[name].push({ ...sample, serverCpu, ...perCall(clientProfile, sample.clientCpu, profile, serverCpu) });
        }
      } finally {
        for (const { stop } of Object.values(running)) stop();
      }
    }
    const of = (name, key) => median(samples[name].map((sample) => sample[key]));
    const cpu = (name) => of(name, 'clientCpu') + of(name, 'serverCpu');
    const added = (name) => cpu(name) - cpu('no tracing');
    for (const name of names) {
      const traced = name !== 'no tracing';
      rows.push([stack, name, fixed(of(name, 'perSecond'), 0), fixed(of(name, 'clientCpu'), 1), fixed(of(name, 'serverCpu'), 1), traced ? fixed(added(name), 1) : '', traced ? fixed(of(name, 'tracing'), 1) : '']);
    }
    const [alternative] = names.filter((name) => name !== 'no tracing' && name !== 'spanweave');
    summary.push([stack, alternative, fixed(added(alternative), 1), fixed(added('spanweave'), 1), share(added('spanweave'), added(alternative)), share(of('spanweave', 'tracing'), of(alternative, 'tracing'))]);
    functions.push(`${stack}:`, '', table(['side', 'function', alternative, 'spanweave'], functionRows((name) => samples[name], [alternative, 'spanweave'], 10)), '');
  }
  return {
    markdown: [
      `Unary calls, ${workload.calls} at concurrency ${workload.concurrency}; calls per second and CPU time per call in µs (each process's user + system); median of ${smoke ? 1 : reps} runs.`,
      '',
      `"Tracing code" is the CPU per call (client + server) in the tracing's own frames and the OpenTelemetry API and SDK's, from each process's own profile over the same calls (as in *gRPC*, [bench/profile.mjs](../bench/profile.mjs)).`,
      '',
      table(['stack', 'setting', 'calls/s', 'client CPU µs', 'server CPU µs', 'CPU added µs', 'tracing code µs'], rows),
      '',
      table(['stack', 'what users trace it with otherwise', 'its CPU added µs', 'spanweave CPU added µs', 'spanweave / it', 'tracing code: spanweave / it'], summary),
      '',
      'The tracing functions with the most CPU, µs per call (mean of the runs):',
      '',
      ...functions,
    ].join('\n'),
  };
}

const role = process.argv[2];
if (role === '--server') await serve(process.argv[3], process.argv[4]);
else if (role === '--client') await clientLoop(process.argv[3], process.argv[4], process.argv[5]);
