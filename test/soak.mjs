// `npm run soak`: a bounded load test through the traced fixture services (fixtures/grpc, compiled
// with tspc) on 127.0.0.1 with an SDK recording: 200 concurrent clients, 100,000 calls mixing a
// three-service chain, all four call types and expected failures. Counts every error that is not
// the one the call is built to produce (none may be caused by tracing) and samples the heap after
// a full GC every 10,000 calls (it must stay flat after warm-up). Prints a Markdown summary for
// docs/reliability.md. Then floods a consumer with hostile trace context (megabyte values) and
// samples the heap again. Then the mixed phase (test/soak-mixed.mjs): every gRPC stack and every
// broker at once, with faults injected into every connection, the exported spans exactly those
// the operations make, and the file descriptors back to where they were.
// `--calls N --concurrency N --operations N --mixed-concurrency N` change the sizes; `--mixed-only`
// runs the mixed phase alone.
// `--exporter down|slow|500|429` exports over OTLP/HTTP to an endpoint that is down, answers after
// 3 s, or answers 500 or 429 (Retry-After: 1), instead of counting: the services must not notice
// beyond the SDK's queue (spans dropped when it is full), and memory stays bounded.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg, totalmem } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { buildMixed, describeSockets, descriptors, soakMixed, SpanLedger } from './soak-mixed.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const option = (name, fallback) => Number(process.argv[process.argv.indexOf(name) + 1] ?? fallback) || fallback;
const CALLS = option('--calls', 100_000);
const CONCURRENCY = option('--concurrency', 200);
const SAMPLE_EVERY = Math.max(Math.floor(CALLS / 10), 1);
const OPERATIONS = option('--operations', 300_000);
const MIXED_CONCURRENCY = option('--mixed-concurrency', 50);
const MIXED_ONLY = process.argv.includes('--mixed-only');
const BATCH_EVERY = option('--batch-every', 10);
const EXPORTER = process.argv.includes('--exporter') ? process.argv[process.argv.indexOf('--exporter') + 1] : 'counting';

// A rejection nobody handles, from spanweave or a client library under faults, fails the soak (it does not end it); the first few are printed at once.
const unhandledRejections = [];
process.on('unhandledRejection', (reason) => {
  if (unhandledRejections.push(reason) <= 3) process.stderr.write(`unhandled rejection: ${reason?.stack ?? reason}\n`);
});

// Process warnings (printed by Node unless --no-warnings, as `npm run soak` runs) are counted and summed up; one about listeners piling up fails the soak.
const warnings = new Map();
process.on('warning', (warning) => {
  const what = `${warning.name}: ${warning.message.split('\n')[0].slice(0, 160)}`;
  warnings.set(what, (warnings.get(what) ?? 0) + 1);
});
// tsx (which loads the TypeScript test helpers) turns on source maps, which make every error's stack cost many times more (spanweave records it on error spans): a service runs without.
process.setSourceMapsEnabled(false);

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const heapAfterGc = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const out = join(root, 'fixtures/grpc/out-soak');
if (!MIXED_ONLY) execFileSync(process.execPath, [require.resolve('ts-patch/bin/tspc.js'), '-p', join(root, 'fixtures/grpc'), '--outDir', out], { stdio: 'inherit' });
const mixedOut = buildMixed(root);

// The SDK as a service runs it: batches of spans to an exporter (one that counts them, or OTLP to a failing endpoint).
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
let exported = 0;
let exportFailed = 0;
// Spans are accounted for trace by trace only where every span is exported, from the mixed phase on.
const ledger = EXPORTER === 'counting' ? new SpanLedger() : undefined;
let ledgerFed = false;
const { endpoint, exporter: inner, closeEndpoint } = await exporterFor(EXPORTER);
const counting = {
  export(spans, done) {
    if (inner === undefined) {
      exported += spans.length;
      if (ledgerFed) ledger.exported(spans);
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
/** The port of the failing endpoint: the exporter's own connections to it are not the services'. */
const exporterPort = endpoint === undefined ? undefined : Number(new URL(endpoint).port);
/** Every span the SDK started and ended, whatever the exporter does with it. */
const sdkCounts = { started: 0, ended: 0 };
const countingProcessor = { onStart: () => sdkCounts.started++, onEnd: () => sdkCounts.ended++, forceFlush: async () => {}, shutdown: async () => {} };
const provider = new NodeTracerProvider({ spanProcessors: [countingProcessor, new BatchSpanProcessor(counting, { maxQueueSize: 8192, scheduledDelayMillis: 200 })] });
provider.register();

const unexpected = new Map();
const note = (what, count = 1) => unexpected.set(what, (unexpected.get(what) ?? 0) + count);
const mb = (value) => `${value.toFixed(1)} MiB`;
const n = (value) => value.toLocaleString('en');
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}`;
const report = [`${new Date().toISOString().slice(0, 10)}; ${machine}.`];

/** The first phase: the grpc fixture's services under CONCURRENCY clients. */
async function callsPhase() {
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
  const heap = [];
  let next = 0;
  let done = 0;
  const started = Date.now();
  async function client() {
    while (next < CALLS) {
      const [name, call, expected] = mix[next++ % mix.length];
      const code = await call().then(() => grpc.status.OK, (error) => error.code ?? 'no code');
      if (code !== expected) note(`${name}: ${grpc.status[code] ?? code}`);
      if (++done % SAMPLE_EVERY === 0) heap.push(heapAfterGc());
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  const seconds = (Date.now() - started) / 1000;
  await app.close();
  const afterWarmUp = heap.slice(1);
  report.push(`## Soak: ${n(CALLS)} calls, ${CONCURRENCY} concurrent clients

- ${seconds.toFixed(1)} s, ${(CALLS / seconds).toFixed(0)} calls/s.
- heap after a full GC every ${n(SAMPLE_EVERY)} calls: ${heap.map(mb).join(', ')}.
- after warm-up (from the second sample): min ${mb(Math.min(...afterWarmUp))}, max ${mb(Math.max(...afterWarmUp))}, last − first ${mb(afterWarmUp.at(-1) - afterWarmUp[0])}.`);
}

/** Then a flood of hostile context through a consumer (a queue hands over whatever it was given): megabyte traceparent, tracestate and baggage values, 10,000 tracestate members, binary junk. */
async function floodPhase() {
  const runtime = require('spanweave/runtime/messaging'); // the entry consumer tags compile to
  const huge = 'x'.repeat(1 << 20);
  const hostile = [
    { traceparent: huge, tracestate: huge, baggage: huge },
    { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: Array.from({ length: 10_000 }, (_, i) => `k${i}=v`).join(',') },
    { traceparent: Buffer.alloc(4096, 0xff).toString('latin1'), baggage: Array.from({ length: 1000 }, (_, i) => `k${i}=${huge.slice(0, 1000)}`).join(',') },
  ];
  const FLOOD = Math.max(Math.floor(CALLS / 10), 30);
  const heap = [];
  for (let i = 0; i < FLOOD; i++) {
    const carrier = hostile[i % hostile.length];
    if (runtime.run('consume', () => i, undefined, { kind: 'consumer', carrier: () => carrier }) !== i) note('a hostile message');
    if ((i + 1) % Math.floor(FLOOD / 5) === 0) {
      await flush();
      heap.push(heapAfterGc());
    }
  }
  await flush();
  report.push(`- then ${n(FLOOD)} messages of hostile context to a consumer (megabyte values, 10,000 tracestate members, binary junk), each run once: heap after a full GC ${heap.map(mb).join(', ')}.
- ${n(exported)} spans exported by then.`);
}

/** The mixed phase: every stack and broker at once, faults in every connection. */
async function mixedPhase() {
  await flush();
  ledgerFed = true;
  const exportedBefore = exported;
  const heapBefore = heapAfterGc();
  const descriptorsBefore = descriptors(exporterPort);
  const heap = [];
  const loadBefore = loadavg()[0];
  const cpuBefore = process.cpuUsage();
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  const mixed = await soakMixed({
    out: mixedOut,
    operations: OPERATIONS,
    concurrency: MIXED_CONCURRENCY,
    batchEvery: BATCH_EVERY,
    ledger,
    sample: async () => {
      heap.push(heapAfterGc());
    },
  });
  loopDelay.disable();
  const cpu = process.cpuUsage(cpuBefore);
  const loadAfter = loadavg()[0];
  await flush();
  for (const [what, count] of mixed.unexpected) note(`mixed: ${what}`, count);
  // Sockets close a moment after their last use; handles are released at the next GC.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const heapAfter = heapAfterGc();
  const descriptorsAfter = descriptors(exporterPort);
  const socketsLeft = [...descriptorsAfter.sockets].filter((socket) => !descriptorsBefore.sockets.has(socket));
  if (descriptorsAfter.fds > descriptorsBefore.fds || socketsLeft.length > 0) note(`mixed: ${descriptorsBefore.fds} descriptors before, ${descriptorsAfter.fds} after; sockets left open: ${describeSockets(socketsLeft).join(', ') || 'none'}`);

  const mixedExported = exported - exportedBefore;
  let accounting = '';
  if (ledger) {
    // Every span of every operation, trace by trace; PRODUCER and CONSUMER spans against the program's own counts.
    const { dropped, short, stray } = ledger.close();
    for (const [what, count] of short) note(`mixed: ${what}: fewer spans than it makes (or a fault can leave), in ${count} traces`, count);
    for (const [what, count] of ledger.over) note(`mixed: ${what}: more spans than it makes, in ${count} traces`, count);
    if (stray > 0) note(`mixed: ${stray} spans past their operation's count or in no operation's trace`);
    if (ledger.producers !== mixed.publishes) note(`mixed: ${n(ledger.producers)} PRODUCER spans exported for ${n(mixed.publishes)} publish attempts`);
    if (ledger.consumers !== mixed.deliveries) note(`mixed: ${n(ledger.consumers)} CONSUMER spans exported for ${n(mixed.deliveries)} deliveries handled`);
    accounting = `- spans exported: ${n(mixedExported)} = ${n(ledger.rpcSpans)} in the operations' traces (each RPC's own span, its CLIENT and SERVER spans) + ${n(ledger.producers)} PRODUCER (one per publish attempt: ${n(mixed.publishes)}) + ${n(ledger.consumers)} CONSUMER (one per delivery handled: ${n(mixed.deliveries)}); trace by trace, against what each operation makes: ${n(dropped)} fewer where faults and deadlines are built to drop them (a request the server never saw), ${[...short.values()].reduce((a, b) => a + b, 0)} traces with fewer than that, ${stray} spans beyond an operation's count or in no operation's trace.`;
  } else {
    accounting = `- spans ended: ${n(sdkCounts.ended)} over the soak; exported ${n(exported)}, in failed exports ${n(exportFailed)}, dropped by the SDK's full queue ${n(sdkCounts.ended - exported - exportFailed)}.`;
  }
  const perOperation = ((cpu.user + cpu.system) / mixed.operations).toFixed(0);
  report.push(`## Mixed: ${n(mixed.operations)} operations through every stack and broker, ${MIXED_CONCURRENCY} concurrent clients, faults injected
${EXPORTER === 'counting' ? '' : `\nExporter: OTLP/HTTP to ${endpoint}, ${{ down: 'where nothing listens', slow: 'which answers after 3 s', 500: 'which answers 500', 429: 'which answers 429 with Retry-After: 1' }[EXPORTER]}.\n`}
- ${mixed.seconds.toFixed(1)} s, ${(mixed.operations / mixed.seconds).toFixed(0)} operations/s: ${n(mixed.rpcCalls)} RPCs (p50 ${mixed.latency.p50.toFixed(1)} ms, p99 ${mixed.latency.p99.toFixed(1)} ms), ${n(mixed.published)} messages (in batches of 20, and one after each chain).
- CPU of this process (clients, servers, proxies, SDK): ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (${(cpu.user / 1e6).toFixed(1)} user, ${(cpu.system / 1e6).toFixed(1)} system), ${perOperation} µs per operation; event loop delay p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after.
- faults into the gRPC servers' connections: ${mixed.rpcFaults.cut} cuts, ${mixed.rpcFaults.reset} resets, ${mixed.rpcFaults.stall} stalls of 300 ms; into the brokers': ${mixed.brokerFaults.cut} cuts, ${mixed.brokerFaults.reset} resets, ${mixed.brokerFaults.stall} stalls; ${n(mixed.connections)} connections made through the proxies.
- RPCs a fault ended otherwise than built to: ${[...mixed.endedByFaults].map(([outcome, count]) => `${n(count)} ${require('@grpc/grpc-js').status[outcome] ?? outcome}`).join(', ') || 'none'}; calls past their deadline: ${n(mixed.deadlines)}.
- the program published ${n(mixed.publishes)} times (${n(mixed.publishes - mixed.published)} again after a fault) and handled ${n(mixed.deliveries)} deliveries (${n(mixed.deliveries - mixed.published)} redelivered).
${accounting}
- heap after a full GC: ${mb(heapBefore)} before; every tenth: ${heap.map(mb).join(', ')}; ${mb(heapAfter)} after every connection closed. Max RSS ${mb(process.resourceUsage().maxRSS / 1024)}.
- file descriptors (sockets) before: ${descriptorsBefore.fds} (${descriptorsBefore.sockets.size}); after every connection closed: ${descriptorsAfter.fds} (${descriptorsAfter.sockets.size})${exporterPort === undefined ? '' : ', the exporter\'s connections to its endpoint left out'}.`);
}

if (!MIXED_ONLY) {
  await callsPhase();
  await floodPhase();
}
await mixedPhase();

if (sdkCounts.started !== sdkCounts.ended || (EXPORTER === 'counting' && sdkCounts.ended !== exported)) note(`spans started ${sdkCounts.started}, ended ${sdkCounts.ended}, exported ${exported}`);
for (const reason of unhandledRejections) note(`unhandled rejection: ${reason?.stack ?? reason}`);
for (const [what, count] of warnings) if (what.startsWith('MaxListenersExceededWarning')) note(what, count);
report.push(`Over the whole soak, spans started ${n(sdkCounts.started)}, ended ${n(sdkCounts.ended)}, exported ${n(exported)}${EXPORTER === 'counting' ? '' : `, in failed exports ${n(exportFailed)}`}.

Process warnings: ${warnings.size === 0 ? 'none' : [...warnings].map(([what, count]) => `${what} ×${n(count)}`).join('; ')}.

Calls, messages and operations that did not end as built to: ${unexpected.size === 0 ? 'none' : [...unexpected].map(([what, count]) => `${what} ×${count}`).join('; ')}.`);
console.log(report.join('\n\n'));
await provider.shutdown().catch(() => undefined);
closeEndpoint?.();
// With the OTLP endpoint down, something of the exporter's kept the process alive for minutes after shutdown (not investigated): the soak ends here.
process.exit(unexpected.size === 0 ? 0 : 1);
