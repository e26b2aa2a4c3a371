// `npm run soak`: a bounded load test through the traced fixture services (fixtures/grpc, compiled
// with tspc) on 127.0.0.1 with an SDK recording: 200 concurrent clients, 100,000 calls mixing a
// three-service chain, all four call types and expected failures. Counts every error that is not
// the one the call is built to produce (none may be caused by tracing) and samples the heap after
// a full GC every 10,000 calls (it must stay flat after warm-up). Prints a Markdown summary for
// docs/reliability.md. Then floods a consumer with hostile trace context (megabyte values) and
// samples the heap again. Then the mixed phase (test/soak-mixed.mjs): every gRPC stack and every
// broker at once, with faults injected into the broker connections, the exported spans exactly
// those the operations make, and the file descriptors back to where they were.
// `--calls N --concurrency N --operations N --mixed-concurrency N` change the sizes.
// `--exporter down|slow|500|429` exports over OTLP/HTTP to an endpoint that is down, answers after
// 3 s, or answers 500 or 429 (Retry-After: 1), instead of counting: the services must not notice
// beyond the SDK's queue (spans dropped when it is full), and memory stays bounded.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, totalmem } from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { buildMixed, descriptors, soakMixed } from './soak-mixed.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const option = (name, fallback) => Number(process.argv[process.argv.indexOf(name) + 1] ?? fallback) || fallback;
const CALLS = option('--calls', 100_000);
const CONCURRENCY = option('--concurrency', 200);
const SAMPLE_EVERY = Math.max(Math.floor(CALLS / 10), 1);
const OPERATIONS = option('--operations', 200_000);
const MIXED_CONCURRENCY = option('--mixed-concurrency', 50);

// A rejection nobody handles, from spanweave or a client library under faults, fails the soak (it does not end it).
const unhandledRejections = [];
process.on('unhandledRejection', (reason) => unhandledRejections.push(reason));

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const out = join(root, 'fixtures/grpc/out-soak');
execFileSync(process.execPath, [require.resolve('ts-patch/bin/tspc.js'), '-p', join(root, 'fixtures/grpc'), '--outDir', out], { stdio: 'inherit' });
const mixedOut = buildMixed(root);

// The SDK as a service runs it: batches of spans to an exporter (one that counts them, or OTLP to a failing endpoint).
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const EXPORTER = process.argv.includes('--exporter') ? process.argv[process.argv.indexOf('--exporter') + 1] : 'counting';
let exported = 0;
let exportFailed = 0;
const { endpoint, exporter: inner, closeEndpoint } = await exporterFor(EXPORTER);
const counting = {
  export(spans, done) {
    if (inner === undefined) {
      exported += spans.length;
      return done({ code: 0 });
    }
    inner.export(spans, (result) => {
      if (result.code === 0) exported += spans.length;
      else exportFailed += spans.length;
      done(result);
    });
  },
  shutdown: async () => inner?.shutdown(),
  forceFlush: async () => inner?.forceFlush(),
};

/** Exports what is queued; an exporter that fails makes the SDK's forceFlush reject, which the soak notes and goes on from. */
async function flush() {
  await provider.forceFlush().catch((error) => (EXPORTER === 'counting' ? Promise.reject(error) : undefined));
}

/** The exporter of `--exporter`: none (count), or OTLP/HTTP to an endpoint of ours that fails as asked. */
async function exporterFor(kind) {
  if (kind === 'counting') return {};
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
  const http = require('node:http');
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (kind === 'slow') setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 3000);
      else response.writeHead(Number(kind), kind === '429' ? { 'retry-after': '1' } : {}).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  if (kind === 'down') await new Promise((resolve) => server.close(resolve)); // nothing listens there any more
  const endpoint = `http://127.0.0.1:${port}/v1/traces`;
  return { endpoint, exporter: new OTLPTraceExporter({ url: endpoint }), closeEndpoint: () => kind !== 'down' && server.closeAllConnections() && server.close() };
}
/** Every span the SDK started and ended, whatever the exporter does with it. */
const sdkCounts = { started: 0, ended: 0 };
const countingProcessor = { onStart: () => sdkCounts.started++, onEnd: () => sdkCounts.ended++, forceFlush: async () => {}, shutdown: async () => {} };
const provider = new NodeTracerProvider({ spanProcessors: [countingProcessor, new BatchSpanProcessor(counting, { maxQueueSize: 8192, scheduledDelayMillis: 200 })] });
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
const runtime = require('spanweave/runtime/messaging'); // the entry consumer tags compile to
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
    await flush();
    gc();
    floodHeap.push(process.memoryUsage().heapUsed / 2 ** 20);
  }
}
await flush();
const exportedBeforeMixed = exported;
const floodSpans = exported;

// The mixed phase: every stack and broker at once, faults in the broker connections.
gc();
const descriptorsBefore = descriptors();
const mixedHeap = [];
const mixed = await soakMixed({
  out: mixedOut,
  operations: OPERATIONS,
  concurrency: MIXED_CONCURRENCY,
  sample: async () => {
    gc();
    mixedHeap.push(process.memoryUsage().heapUsed / 2 ** 20);
  },
});
await flush();
const mixedExported = exported - exportedBeforeMixed;
const mixedExpected = mixed.rpcSpans + mixed.publishes + mixed.deliveries;
for (const [what, count] of mixed.unexpected) unexpected.set(`mixed: ${what}`, count);
// With a failing exporter, spans are lost where the SDK's queue is full or an export fails: that is the SDK's documented behaviour.
// A call past its deadline makes no SERVER span when the server never saw it: the one loss a fault is built to cause.
const mixedExact = mixedExported <= mixedExpected && mixedExported >= mixedExpected - mixed.deadlines;
if (EXPORTER === 'counting' && !mixedExact) unexpected.set(`mixed: ${mixedExported} spans exported, the operations made ${mixedExpected} (less at most one for each of ${mixed.deadlines} calls past their deadline)`, 1);
// Sockets close a moment after their last use; handles are released at the next GC.
await new Promise((resolve) => setTimeout(resolve, 2000));
gc();
const descriptorsAfter = descriptors();
if (descriptorsAfter.fds > descriptorsBefore.fds || descriptorsAfter.sockets > descriptorsBefore.sockets) unexpected.set(`mixed: descriptors ${JSON.stringify(descriptorsBefore)} before, ${JSON.stringify(descriptorsAfter)} after`, 1);
if (sdkCounts.started !== sdkCounts.ended || (EXPORTER === 'counting' && sdkCounts.ended !== exported)) unexpected.set(`spans started ${sdkCounts.started}, ended ${sdkCounts.ended}, exported ${exported}`, 1);

for (const reason of unhandledRejections) unexpected.set(`unhandled rejection: ${reason?.stack ?? reason}`, 1);

const mb = (value) => `${value.toFixed(1)} MiB`;
const afterWarmUp = heap.slice(1);
console.log(`## Soak: ${CALLS.toLocaleString('en')} calls, ${CONCURRENCY} concurrent clients

${new Date().toISOString().slice(0, 10)}; ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}.

- ${seconds.toFixed(1)} s, ${(CALLS / seconds).toFixed(0)} calls/s; ${exported.toLocaleString('en')} spans exported.
- calls that did not end as built to: ${unexpected.size === 0 ? 'none' : [...unexpected].map(([what, count]) => `${what} ×${count}`).join(', ')}.
- heap after a full GC every ${SAMPLE_EVERY.toLocaleString('en')} calls: ${heap.map(mb).join(', ')}.
- after warm-up (from the second sample): min ${mb(Math.min(...afterWarmUp))}, max ${mb(Math.max(...afterWarmUp))}, last − first ${mb(afterWarmUp.at(-1) - afterWarmUp[0])}.
- then ${FLOOD.toLocaleString('en')} messages of hostile context to a consumer (megabyte values, 10,000 tracestate members, binary junk), each run once: heap after a full GC ${floodHeap.map(mb).join(', ')}.
- ${floodSpans.toLocaleString('en')} spans exported by then.

${EXPORTER === 'counting' ? '' : `Exporter: OTLP/HTTP to ${endpoint}, ${{ down: 'where nothing listens', slow: 'which answers after 3 s', 500: 'which answers 500', 429: 'which answers 429 with Retry-After: 1' }[EXPORTER]}: ${exported.toLocaleString('en')} spans exported, ${exportFailed.toLocaleString('en')} in failed exports, ${(sdkCounts.ended - exported - exportFailed).toLocaleString('en')} dropped by the SDK's full queue (of ${sdkCounts.ended.toLocaleString('en')} ended).

`}## Mixed: ${mixed.operations.toLocaleString('en')} operations through every stack and broker, ${MIXED_CONCURRENCY} concurrent clients, faults injected

- ${mixed.seconds.toFixed(1)} s, ${(mixed.operations / mixed.seconds).toFixed(0)} operations/s: ${mixed.rpcCalls.toLocaleString('en')} RPCs (p50 ${mixed.latency.p50.toFixed(1)} ms, p99 ${mixed.latency.p99.toFixed(1)} ms), ${mixed.published.toLocaleString('en')} messages in batches of 20.
- faults injected into the broker connections: ${mixed.faults.cut} cuts, ${mixed.faults.reset} resets, ${mixed.faults.stall} stalls of 300 ms; ${mixed.reconnects.toLocaleString('en')} connections made through the proxies.
- the program published ${mixed.publishes.toLocaleString('en')} times (${(mixed.publishes - mixed.published).toLocaleString('en')} again after a fault) and handled ${mixed.deliveries.toLocaleString('en')} deliveries (${(mixed.deliveries - mixed.published).toLocaleString('en')} redelivered).
- spans exported: ${mixedExported.toLocaleString('en')}; made by the operations: ${mixedExpected.toLocaleString('en')} (${mixed.rpcSpans.toLocaleString('en')} RPC + one per publish + one per delivery)${EXPORTER === 'counting' ? `, less ${mixedExpected - mixedExported} SERVER spans of the ${mixed.deadlines.toLocaleString('en')} calls past their deadline (a request the server never saw)` : ''}.
- heap after a full GC every tenth: ${mixedHeap.map(mb).join(', ')}.
- file descriptors (sockets) before: ${descriptorsBefore.fds} (${descriptorsBefore.sockets}); after every connection closed: ${descriptorsAfter.fds} (${descriptorsAfter.sockets}).
- over the whole soak, spans started ${sdkCounts.started.toLocaleString('en')}, ended ${sdkCounts.ended.toLocaleString('en')}, exported ${exported.toLocaleString('en')}.
- operations that did not end as built to: ${[...mixed.unexpected].length === 0 ? 'none' : [...mixed.unexpected].map(([what, count]) => `${what} ×${count}`).join(', ')}.`);
await provider.shutdown().catch(() => undefined);
closeEndpoint?.();
// With the OTLP endpoint down, something of the exporter's kept the process alive for minutes after shutdown (not investigated): the soak ends here.
process.exit(unexpected.size === 0 ? 0 : 1);
