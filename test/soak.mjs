// `npm run soak`: a bounded load test through the traced fixture services (fixtures/grpc, compiled
// with tspc) on 127.0.0.1 with an SDK recording: 200 concurrent clients, 100,000 calls mixing a
// three-service chain, all four call types and expected failures. Counts every error that is not
// the one the call is built to produce (none may be caused by tracing) and samples the heap after
// a full GC every 10,000 calls (it must stay flat after warm-up). Prints a Markdown summary for
// docs/reliability.md. Then floods a consumer with hostile trace context (megabyte values) and
// samples the heap again. `--calls N --concurrency N` change the size.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, totalmem } from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const option = (name, fallback) => Number(process.argv[process.argv.indexOf(name) + 1] ?? fallback) || fallback;
const CALLS = option('--calls', 100_000);
const CONCURRENCY = option('--concurrency', 200);
const SAMPLE_EVERY = Math.max(Math.floor(CALLS / 10), 1);

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const out = join(root, 'fixtures/grpc/out-soak');
execFileSync(process.execPath, [require.resolve('ts-patch/bin/tspc.js'), '-p', join(root, 'fixtures/grpc'), '--outDir', out], { stdio: 'inherit' });

// The SDK as a service runs it: batches of spans to an exporter (here one that counts them).
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
let exported = 0;
const counting = {
  export(spans, done) {
    exported += spans.length;
    done({ code: 0 });
  },
  shutdown: async () => {},
  forceFlush: async () => {},
};
const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(counting, { maxQueueSize: 8192, scheduledDelayMillis: 200 })] });
provider.register();

const grpc = require('@grpc/grpc-js');
const { startApp } = require(join(out, 'app.js'));
const { getUser, listUsers, track, uploadItems } = require(join(out, 'gateway.js'));
const app = await startApp();

/** listUsers resolves with the status it ended with; as a rejection, like the other calls. */
const streamUsers = (count, failAfter) => listUsers(app.clients, count, failAfter).then((result) => (result.error ? Promise.reject({ code: grpc.status[result.error] }) : result));
const placeOrder = (userId) => new Promise((resolve, reject) => app.gateway.placeOrder({ userId, items: ['book'] }, new grpc.Metadata(), {}, (error, reply) => (error ? reject(error) : resolve(reply))));
/** Each kind of call, and the gRPC status it is built to end with. */
const mix = [
  ['chain across three services', () => placeOrder('ada'), grpc.status.OK],
  ['chain, user not found', () => placeOrder('nobody'), grpc.status.NOT_FOUND],
  ['unary', () => getUser(app.clients, 'bob'), grpc.status.OK],
  ['unary, handler throws', () => getUser(app.clients, 'crash'), grpc.status.UNKNOWN],
  ['server stream', () => streamUsers(5), grpc.status.OK],
  ['server stream, errors halfway', () => streamUsers(5, 2), grpc.status.INTERNAL],
  ['client stream', () => uploadItems(app.clients, ['a', 'b'], 't'), grpc.status.OK],
  ['bidi stream', () => track(app.clients, ['o1', 'o2']), grpc.status.OK],
];

const unexpected = new Map();
const heap = [];
let next = 0;
let done = 0;
const started = Date.now();
async function client() {
  while (next < CALLS) {
    const [name, call, expected] = mix[next++ % mix.length];
    const code = await call().then(() => grpc.status.OK, (error) => error.code ?? 'no code');
    const outcome = `${name}: ${grpc.status[code] ?? code}`;
    if (code !== expected) unexpected.set(outcome, (unexpected.get(outcome) ?? 0) + 1);
    if (++done % SAMPLE_EVERY === 0) {
      gc();
      heap.push(process.memoryUsage().heapUsed / 2 ** 20);
    }
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, client));
const seconds = (Date.now() - started) / 1000;
await app.close();

// Then a flood of hostile context through a consumer (a queue hands over whatever it was given):
// megabyte traceparent, tracestate and baggage values, 10,000 tracestate members, binary junk.
const runtime = require('spanweave/runtime');
const huge = 'x'.repeat(1 << 20);
const hostile = [
  { traceparent: huge, tracestate: huge, baggage: huge },
  { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: Array.from({ length: 10_000 }, (_, i) => `k${i}=v`).join(',') },
  { traceparent: Buffer.alloc(4096, 0xff).toString('latin1'), baggage: Array.from({ length: 1000 }, (_, i) => `k${i}=${huge.slice(0, 1000)}`).join(',') },
];
const FLOOD = Math.max(Math.floor(CALLS / 10), 30);
const floodHeap = [];
for (let i = 0; i < FLOOD; i++) {
  const carrier = hostile[i % hostile.length];
  if (runtime.run('consume', () => i, undefined, { kind: 'consumer', carrier: () => carrier }) !== i) unexpected.set('a hostile message', (unexpected.get('a hostile message') ?? 0) + 1);
  if ((i + 1) % Math.floor(FLOOD / 5) === 0) {
    await provider.forceFlush();
    gc();
    floodHeap.push(process.memoryUsage().heapUsed / 2 ** 20);
  }
}
await provider.forceFlush();

const mb = (value) => `${value.toFixed(1)} MiB`;
const afterWarmUp = heap.slice(1);
console.log(`## Soak: ${CALLS.toLocaleString('en')} calls, ${CONCURRENCY} concurrent clients

${new Date().toISOString().slice(0, 10)}; ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}.

- ${seconds.toFixed(1)} s, ${(CALLS / seconds).toFixed(0)} calls/s; ${exported.toLocaleString('en')} spans exported.
- calls that did not end as built to: ${unexpected.size === 0 ? 'none' : [...unexpected].map(([what, count]) => `${what} ×${count}`).join(', ')}.
- heap after a full GC every ${SAMPLE_EVERY.toLocaleString('en')} calls: ${heap.map(mb).join(', ')}.
- after warm-up (from the second sample): min ${mb(Math.min(...afterWarmUp))}, max ${mb(Math.max(...afterWarmUp))}, last − first ${mb(afterWarmUp.at(-1) - afterWarmUp[0])}.
- then ${FLOOD.toLocaleString('en')} messages of hostile context to a consumer (megabyte values, 10,000 tracestate members, binary junk), each run once: heap after a full GC ${floodHeap.map(mb).join(', ')}.`);
await provider.shutdown();
process.exitCode = unexpected.size === 0 ? 0 : 1;
