// Where a benchmark process spends its CPU, by who owns the code: V8's sampling profiler, run in
// the process itself (node:inspector), and each sample given to the nearest frame up its stack
// that belongs to a package or a file (Node's own frames and V8 builtins are passed over, so that a
// `Map.get` or an `AsyncLocalStorage.run` counts for the code that called it). On two shared cores
// a whole process's CPU per call moves by tens of µs with its luck (JIT, memory layout, how its
// writes batch), while the samples that fall in the tracing code's own frames do not: they are
// what tells two tracing implementations apart here.
import { Session } from 'node:inspector';
import { createInterface } from 'node:readline';
import { cpuMicros } from './harness.mjs';

/** Owners, first match wins: the instrumentation's own code, then the OpenTelemetry API and SDK, then the RPC library. */
const OWNERS = [
  ['instrumentation', /\/dist\/runtime\/|\/bench\/grpc\/minimal\.cjs$|\/bench\/stacks\/connect-minimal\.cjs$|\/node_modules\/(@opentelemetry\/instrumentation[^/]*|nice-grpc-opentelemetry|require-in-the-middle|import-in-the-middle|shimmer)\//],
  ['OTel API and SDK', /\/node_modules\/@opentelemetry\//],
  ['RPC library', /\/node_modules\/(@grpc|nice-grpc[^/]*|@connectrpc|@bufbuild|protobufjs|@protobufjs|abort-controller-x|ts-error)\//],
];
export const CATEGORIES = [...OWNERS.map(([name]) => name), 'application', 'Node and V8', 'GC'];
const SPECIAL = { '(garbage collector)': 'GC', '(idle)': 'idle', '(program)': 'Node and V8' };
const INTERVAL_MICROS = 100;

let session;
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));

async function startProfile() {
  if (!session) {
    session = new Session();
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: INTERVAL_MICROS });
  }
  await post('Profiler.start');
}

/**
 * Stops the profile: the shares of its busy (not idle) samples by owner, and by function for the
 * tracing code's own frames (the 40 largest).
 */
async function stopProfile() {
  const { profile } = await post('Profiler.stop');
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const isCode = ({ url }) => url !== '' && !url.startsWith('node:');
  /** The frame a sample counts for: its own, or the nearest caller that is code of a package or file. */
  const frameOf = (id) => {
    let at = id;
    while (at !== undefined && !isCode(nodes.get(at).callFrame)) at = parents.get(at);
    return at === undefined ? undefined : nodes.get(at).callFrame;
  };
  const counts = Object.fromEntries([...CATEGORIES, 'idle'].map((name) => [name, 0]));
  const functions = new Map();
  for (const id of profile.samples) {
    const special = SPECIAL[nodes.get(id).callFrame.functionName];
    const frame = special ? undefined : frameOf(id);
    const path = frame && (frame.url.startsWith('file://') ? new URL(frame.url).pathname : frame.url);
    const category = special ?? (frame ? (OWNERS.find(([, pattern]) => pattern.test(path))?.[0] ?? 'application') : 'Node and V8');
    counts[category]++;
    if (category === 'instrumentation' || category === 'OTel API and SDK') {
      const key = `${frame.functionName || '(anonymous)'} ${path.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
      functions.set(key, (functions.get(key) ?? 0) + 1);
    }
  }
  // Samples are taken at a wall-clock interval, but only while the thread runs (a thread that is
  // descheduled takes one late sample), so the busy samples' shares are shares of its CPU time.
  const busy = profile.samples.length - counts.idle || 1;
  return {
    shares: Object.fromEntries(CATEGORIES.map((name) => [name, counts[name] / busy])),
    functions: [...functions].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([key, count]) => [key, count / busy]),
  };
}

/** A benchmark server's loop: "start" starts a profile and answers this process's CPU time so far; "stop" answers the CPU time and the profile. */
export async function answerProfiles() {
  for await (const line of createInterface({ input: process.stdin })) {
    if (JSON.parse(line) === 'start') {
      await startProfile();
      console.log(JSON.stringify(cpuMicros()));
    } else {
      const cpu = cpuMicros();
      console.log(JSON.stringify({ cpu, profile: await stopProfile() }));
    }
  }
}

/** Runs `work` under a profile: the CPU time it took (µs) and the profile. */
export async function profiled(work) {
  await startProfile();
  const before = cpuMicros();
  await work();
  const cpu = cpuMicros() - before;
  return { cpu, profile: await stopProfile() };
}

/**
 * One call's CPU by owner, client and server together (µs; each process's shares of its own CPU
 * per call), and the tracing functions of each side.
 */
export function perCall(client, clientCpu, server, serverCpu) {
  const owners = Object.fromEntries(CATEGORIES.map((name) => [name, client.shares[name] * clientCpu + server.shares[name] * serverCpu]));
  const micros = ({ functions }, cpu) => functions.map(([key, share]) => [key, share * cpu]);
  return { owners, tracing: owners.instrumentation + owners['OTel API and SDK'], functions: { client: micros(client, clientCpu), server: micros(server, serverCpu) } };
}

/** The tracing functions with the most CPU per call on each side, mean of `runs` of each setting, as table rows. */
export function functionRows(runsOf, names, count = 14) {
  return ['client', 'server'].flatMap((side) => {
    const means = names.map((name) => {
      const runs = runsOf(name);
      const sums = new Map();
      for (const run of runs) for (const [key, micros] of run.functions[side]) sums.set(key, (sums.get(key) ?? 0) + micros / runs.length);
      return sums;
    });
    const largest = (key) => Math.max(...means.map((sums) => sums.get(key) ?? 0));
    const keys = [...new Set(means.flatMap((sums) => [...sums.keys()]))].sort((a, b) => largest(b) - largest(a));
    return keys.slice(0, count).map((key) => [side, `\`${key}\``, ...means.map((sums) => (sums.get(key) ?? 0).toFixed(2))]);
  });
}
