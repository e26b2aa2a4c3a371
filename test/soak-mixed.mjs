// The soak's mixed phase (run by test/soak.mjs, `npm run soak`): every gRPC stack and every broker
// at once, every connection through a fault proxy that cuts, resets or stalls it at random.
// fixtures/stacks's Echo on Connect (gRPC over HTTP/2 and Connect over HTTP/1.1), nice-grpc, NestJS
// and grpc-js, called by their traced clients: each stack's unary call, server stream and
// NOT_FOUND, a deadline that passes, and the demo's kind of chain, Connect -> nice-grpc -> NestJS ->
// grpc-js, whose reply then goes as a message through a broker; and batches of messages through
// fixtures/broker-faults's traced producers and consumers on RabbitMQ, NATS JetStream, Redis
// Streams and MQTT. Every RPC runs in a span of the program's own, so that the spans exported in
// its trace can be counted against what that kind of call makes (a SpanLedger); the program
// counts every publish attempt and every delivery it handles, which the PRODUCER and CONSUMER
// spans exported must equal. Then every connection is closed: the process's file descriptors and
// sockets must be back to what they were before.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FaultProxy } from './helpers/fault-proxy.ts';
import { rigs } from './helpers/broker-rigs.ts';

const require = createRequire(import.meta.url);
const api = require('@opentelemetry/api');

/** The process's open file descriptors, and its sockets (as `socket:[inode]`); sockets with an end on `exceptPort` are left out (an exporter's). */
export function descriptors(exceptPort) {
  const excluded = exceptPort === undefined ? new Set() : new Set([...tcpSockets()].filter(([, { local, remote }]) => local === exceptPort || remote === exceptPort).map(([socket]) => socket));
  const fds = readdirSync('/proc/self/fd');
  const sockets = new Set();
  let left = 0;
  for (const fd of fds) {
    let target;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed while listing (the listing's own descriptor)
    }
    if (excluded.has(target)) left++;
    else if (target.startsWith('socket:')) sockets.add(target);
  }
  return { fds: fds.length - left, sockets };
}

const TCP_STATES = { '01': 'established', '02': 'syn-sent', '06': 'time-wait', '07': 'closed', '08': 'close-wait', '09': 'last-ack', '0A': 'listening', '0B': 'closing' };

/** Every TCP socket of the host, from /proc/net/tcp and tcp6: `socket:[inode]` -> its ports and state. */
function tcpSockets() {
  const found = new Map();
  const portOf = (address) => parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9) found.set(`socket:[${fields[9]}]`, { local: portOf(fields[1]), remote: portOf(fields[2]), state: TCP_STATES[fields[3]] ?? fields[3] });
    }
  }
  return found;
}

/** The host's UDP and Unix domain sockets, from /proc/net: `socket:[inode]` -> what it is. */
function otherSockets() {
  const found = new Map();
  const inodeColumn = (table, column, describe) => {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > column) found.set(`socket:[${fields[column]}]`, describe(fields));
    }
  };
  const portOf = (address) => parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) inodeColumn(table, 9, (fields) => `UDP ${portOf(fields[1])} -> ${portOf(fields[2])}`);
  inodeColumn('/proc/net/unix', 6, (fields) => `Unix ${fields[4] === '0001' ? 'stream' : 'datagram'}${fields[7] ? ` ${fields[7]}` : ' (unnamed)'}`);
  return found;
}

/** What each of `sockets` is, for a report of what was left open: TCP ports and state, UDP ports, a Unix socket's path, or another kind. */
export function describeSockets(sockets) {
  const tcp = tcpSockets();
  const other = otherSockets();
  return [...sockets].map((socket) => {
    const found = tcp.get(socket);
    if (found) return `TCP ${found.local} -> ${found.remote} ${found.state}`;
    return `${other.get(socket) ?? 'not TCP, UDP or Unix'} (${socket})`;
  });
}

/** Compiles the two fixtures with tspc, beside what they load at run time. */
export function buildMixed(root) {
  const tspc = require.resolve('ts-patch/bin/tspc.js');
  const stacks = join(root, 'fixtures/stacks/out-soak');
  const brokers = join(root, 'fixtures/broker-faults/out-soak');
  execFileSync(process.execPath, [tspc, '-p', join(root, 'fixtures/stacks'), '--outDir', stacks], { stdio: 'inherit' });
  execFileSync(process.execPath, [tspc, '-p', join(root, 'fixtures/broker-faults'), '--outDir', brokers], { stdio: 'inherit' });
  return { stacks, brokers };
}

/**
 * The spans exported in each operation's trace, against the number its kind of call makes (`max`)
 * and the fewest a fault may leave (`min`). A trace is forgotten once its count is reached, so
 * the ledger holds only operations still under way, those a fault cut short, and spans of no
 * operation. PRODUCER and CONSUMER spans are only counted: the program counts what makes them.
 */
export class SpanLedger {
  producers = 0;
  consumers = 0;
  /** RPC spans exported (the operations' own spans included). */
  rpcSpans = 0;
  /** Traces that went past their count, by operation. */
  over = new Map();
  #traces = new Map();

  exported(spans) {
    for (const span of spans) {
      if (span.kind === api.SpanKind.PRODUCER) this.producers++;
      else if (span.kind === api.SpanKind.CONSUMER) this.consumers++;
      else {
        this.rpcSpans++;
        const traceId = span.spanContext().traceId;
        const entry = this.#traces.get(traceId) ?? { seen: 0 };
        entry.seen++;
        this.#settle(traceId, entry);
      }
    }
  }

  /** The operation of trace `traceId` (`what`) has ended: it makes `max` spans, or as few as `min`. */
  expect(traceId, what, min, max) {
    const entry = this.#traces.get(traceId) ?? { seen: 0 };
    Object.assign(entry, { what, min, max });
    this.#settle(traceId, entry);
  }

  get size() {
    return this.#traces.size;
  }

  /**
   * Once every span has been exported: the spans the faults dropped, and what went wrong. A span
   * past its operation's count usually comes after the trace was forgotten, and is then one of
   * `stray`: in a trace no operation accounts for.
   */
  close() {
    let dropped = 0;
    const short = new Map();
    let stray = 0;
    for (const entry of this.#traces.values()) {
      if (entry.max === undefined) stray += entry.seen;
      else if (entry.seen < entry.min) short.set(entry.what, (short.get(entry.what) ?? 0) + 1);
      else dropped += entry.max - entry.seen;
    }
    this.#traces.clear();
    return { dropped, short, stray };
  }

  #settle(traceId, entry) {
    if (entry.max !== undefined && entry.seen >= entry.max) {
      this.#traces.delete(traceId);
      if (entry.seen > entry.max) this.over.set(entry.what, (this.over.get(entry.what) ?? 0) + 1);
    } else this.#traces.set(traceId, entry);
  }
}

/** A call that a fault on one of its connections may end otherwise: a fault up to this long before it began counts too (a client notices a broken connection, and reconnects, in its own time). */
const FAULT_GRACE_MS = 3_000;
/** An operation, or a step of one, not over after this long is reported, and its client goes on. */
const GIVE_UP_MS = 60_000;
const NOT_OVER = 'not over after 60 s';

/** What `work` resolves with, or NOT_OVER if it has not settled after GIVE_UP_MS. */
async function withinLimit(work) {
  let timer;
  const gaveUp = new Promise((resolve) => (timer = setTimeout(resolve, GIVE_UP_MS, NOT_OVER)));
  try {
    return await Promise.race([work, gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `operations` operations (an RPC, or one message published) from `concurrency` clients,
 * a fault injected into a random broker connection every `brokerFaultEveryMs` and into a random
 * gRPC server's every `rpcFaultEveryMs`. `sample()` is called every tenth of the run (the heap);
 * `ledger`, fed the exported spans, is told what each operation makes (none where not every span
 * is exported). Returns what it counted.
 */
export async function soakMixed({ out, operations, concurrency, sample, ledger, batchEvery = 10, brokerFaultEveryMs = 300, rpcFaultEveryMs = 1_000 }) {
  const load = (module) => require(join(out.stacks, `${module}.js`));
  const modules = { 'grpc-js': load('grpc-js'), connect: load('connect'), 'nice-grpc': load('nice'), nestjs: load('nest') };
  const servers = {};
  for (const [stack, module] of Object.entries(modules)) servers[stack] = await module.startServer();
  // Every server behind a proxy of its own: the clients, and the chain's hops, connect through it.
  const port = (address) => Number(address.slice(address.lastIndexOf(':') + 1));
  const rpcProxies = {
    'grpc-js': await FaultProxy.start(port(servers['grpc-js'].address)),
    'connect h2': await FaultProxy.start(port(servers.connect.address)),
    'connect h1.1': await FaultProxy.start(port(servers.connect.http1Address)),
    'nice-grpc': await FaultProxy.start(port(servers['nice-grpc'].address)),
    nestjs: await FaultProxy.start(port(servers.nestjs.address)),
  };
  const at = (proxy) => `127.0.0.1:${proxy.port}`;
  const drivers = {
    'grpc-js': [modules['grpc-js'].driver(at(rpcProxies['grpc-js'])), [rpcProxies['grpc-js']]],
    'Connect gRPC h2': [modules.connect.driver(at(rpcProxies['connect h2']), 'grpc', '2'), [rpcProxies['connect h2']]],
    'Connect h1.1': [modules.connect.driver(at(rpcProxies['connect h1.1']), 'connect', '1.1'), [rpcProxies['connect h1.1']]],
    'nice-grpc': [modules['nice-grpc'].driver(at(rpcProxies['nice-grpc'])), [rpcProxies['nice-grpc']]],
    NestJS: [modules.nestjs.driver(at(rpcProxies.nestjs)), [rpcProxies.nestjs]],
  };
  const chain = ['nice-grpc', 'nestjs', 'grpc-js'].map((stack) => `${stack}@${at(rpcProxies[stack])}`);
  const chainProxies = [rpcProxies['connect h2'], rpcProxies['nice-grpc'], rpcProxies.nestjs, rpcProxies['grpc-js']];

  // The program's own counts of the broker spans it causes: a PRODUCER span per publish attempt, a CONSUMER span per delivery handled.
  const hops = require(join(out.brokers, 'hops.js'));
  const counts = { publishes: 0, deliveries: 0 };
  const countingHops = Object.fromEntries(Object.entries(hops).map(([name, fn]) => [name, (...args) => (counts[name.startsWith('publish') ? 'publishes' : 'deliveries']++, fn(...args))]));
  const unexpected = new Map();
  const note = (what, count = 1) => unexpected.set(what, (unexpected.get(what) ?? 0) + count);
  // What is under way, by step: a soak that hangs says where.
  const inFlight = new Map();
  const track = async (what, work) => {
    inFlight.set(what, (inFlight.get(what) ?? 0) + 1);
    try {
      return await work();
    } finally {
      inFlight.set(what, inFlight.get(what) - 1);
    }
  };

  // Brokers: a consumer each and a producer that the chain's replies go through, each through a proxy; batch producers connect through the producer's proxy too.
  const brokers = [];
  for (const rig of Object.values(rigs)) {
    const name = `soak${Date.now().toString(36)}${rig.broker}`;
    await rig.setup(name);
    const producerProxy = await FaultProxy.start(rig.port);
    const consumerProxy = await FaultProxy.start(rig.port);
    const pending = new Map(); // body -> resolve, for the operation waiting on it
    const consumer = await rig.consume(countingHops, name, consumerProxy.port, async (delivery) => {
      // The consumer loop must go on whatever one delivery meets: what fails is reported.
      try {
        await delivery.handle(() => undefined);
        await delivery.ack();
      } catch (error) {
        note(`${rig.broker} delivery failed: ${error?.message ?? error}`);
      }
      const body = delivery.body.toString();
      pending.get(body)?.();
      pending.delete(body);
    });
    const producer = await rig.producer(countingHops, name, producerProxy.port);
    brokers.push({ rig, name, producerProxy, consumerProxy, pending, consumer, producer });
  }
  let published = 0;
  let serial = 0;
  /** Publishes `bodies` (with `publish`) and waits until each has been handled at least once. */
  async function sendThrough(broker, bodies, publish) {
    const handled = Promise.all(bodies.map((body) => new Promise((resolve) => broker.pending.set(body, resolve))));
    if ((await withinLimit(track(`${broker.rig.broker} publish`, () => publish(bodies.map((body) => Buffer.from(body)))))) === NOT_OVER) note(`${broker.rig.broker}: publish ${NOT_OVER}`);
    if ((await withinLimit(track(`${broker.rig.broker} delivery`, () => handled))) === NOT_OVER) note(`${broker.rig.broker}: messages never delivered`, bodies.filter((body) => broker.pending.delete(body)).length);
    published += bodies.length;
  }
  const BATCH = 20;
  /** A batch job: BATCH messages published at once on a connection of its own. */
  const batch = (broker) => {
    const batchSerial = serial++;
    const bodies = Array.from({ length: BATCH }, (_, i) => `${broker.rig.broker} batch ${batchSerial} ${i}`);
    return sendThrough(broker, bodies, async (buffers) => {
      const producer = await broker.rig.producer(countingHops, broker.name, broker.producerProxy.port);
      try {
        await Promise.all(buffers.map((buffer) => producer.publish([buffer])));
      } finally {
        await producer.close();
      }
    });
  };

  // Faults: the last cut or reset of each proxy, for telling a call a fault ended from one that ended otherwise on its own.
  const brokerProxies = brokers.flatMap((broker) => [broker.producerProxy, broker.consumerProxy]);
  const lastBreak = new Map();
  const faultKinds = ['cut', 'reset', 'stall'];
  const injectInto = (proxies) => () => {
    const proxy = proxies[Math.floor(Math.random() * proxies.length)];
    const kind = faultKinds[Math.floor(Math.random() * faultKinds.length)];
    if (kind !== 'stall') lastBreak.set(proxy, performance.now());
    proxy.inject(kind, 300);
  };
  const faultTimers = [setInterval(injectInto(brokerProxies), brokerFaultEveryMs), setInterval(injectInto(Object.values(rpcProxies)), rpcFaultEveryMs)];

  /** Each kind of RPC: the spans it makes, the call, how it ends unless a fault ends it, and the proxies it goes through. */
  const rpcs = [];
  for (const [client, [driver, proxies]] of Object.entries(drivers)) {
    rpcs.push({ what: `${client} unary`, spans: 2, call: () => driver.say({ text: 'soak' }), expected: 'ok', proxies });
    rpcs.push({ what: `${client} server stream`, spans: 2, call: () => driver.count({ count: 3 }), expected: 'ok', proxies });
    rpcs.push({ what: `${client} NOT_FOUND`, spans: 2, call: () => driver.say({ text: 'soak', fail: 'NOT_FOUND' }), expected: 5, proxies });
  }
  // The chain's reply goes on as a message through the next broker, on the producer's long-lived connection.
  let hopBroker = 0;
  const chainThenMessage = async () => {
    const reply = await drivers['Connect gRPC h2'][0].say({ text: 'soak', next: chain });
    const broker = brokers[hopBroker++ % brokers.length];
    await sendThrough(broker, [`${broker.rig.broker} hop ${serial++} ${reply}`], (bodies) => broker.producer.publish(bodies));
  };
  rpcs.push({ what: 'chain Connect -> nice-grpc -> NestJS -> grpc-js, then a message', spans: 8, call: chainThenMessage, expected: 'ok', proxies: chainProxies, messages: 1 });
  // Its SERVER span is made only if the request reached the server before the client gave up: on a busy machine it may not.
  rpcs.push({ what: 'Connect past its deadline', spans: 2, fewest: 1, call: () => drivers['Connect gRPC h2'][0].say({ text: 'soak', delayMs: 200 }, { timeoutMs: 20 }), expected: 4, proxies: [rpcProxies['connect h2']] });

  const tracer = api.trace.getTracer('soak');
  let rpcCalls = 0;
  let deadlines = 0;
  const endedByFaults = new Map();
  /** One RPC in a span of the program's own; its trace's spans are then expected in the ledger. */
  async function rpc(kind) {
    const begin = performance.now();
    const [outcome, traceId] = await tracer.startActiveSpan('soak operation', async (root) => {
      const result = await withinLimit(
        kind.call().then(
          () => 'ok',
          (error) => error.code ?? error.name,
        ),
      );
      root.end();
      return [result, root.spanContext().traceId];
    });
    const faulted = kind.proxies.some((proxy) => (lastBreak.get(proxy) ?? -Infinity) >= begin - FAULT_GRACE_MS);
    if (outcome === kind.expected) ledger?.expect(traceId, kind.what, 1 + (kind.fewest ?? kind.spans), 1 + kind.spans);
    else if (faulted && outcome !== NOT_OVER) {
      // A fault ended it: at least the operation's span and the first CLIENT span, at most what it makes when it succeeds.
      endedByFaults.set(outcome, (endedByFaults.get(outcome) ?? 0) + 1);
      ledger?.expect(traceId, kind.what, 2, 1 + kind.spans);
    } else {
      note(`${kind.what}: ${outcome}`);
      ledger?.expect(traceId, kind.what, 1, 1 + kind.spans);
    }
    rpcCalls++;
    if (kind.expected === 4) deadlines++;
    return performance.now() - begin;
  }

  let next = 0;
  let nextKind = 0;
  let done = 0;
  const sampleEvery = Math.max(Math.floor(operations / 10), 1);
  const latencies = new Float64Array(operations); // allocated once: the heap samples see only what the operations keep
  let latencyCount = 0;
  const started = Date.now();
  // A line every 10 s on stderr: how far the run is, and what waits (a soak that hangs says where).
  let lastProgress = { done: 0, cpu: process.cpuUsage(), at: performance.now() };
  const progress = setInterval(() => {
    const cpu = process.cpuUsage(lastProgress.cpu);
    const interval = (performance.now() - lastProgress.at) / 1000;
    process.stderr.write(`mixed: last ${interval.toFixed(0)} s: ${((done - lastProgress.done) / interval).toFixed(0)} operations/s, CPU ${((cpu.user + cpu.system) / 1e4 / interval).toFixed(0)}%, ${((cpu.user + cpu.system) / Math.max(done - lastProgress.done, 1)).toFixed(0)} µs per operation\n`);
    lastProgress = { done, cpu: process.cpuUsage(), at: performance.now() };
    const waiting = brokers.filter((broker) => broker.pending.size > 0).map((broker) => `${broker.rig.broker} ${broker.pending.size} undelivered`);
    process.stderr.write(`mixed: ${done.toLocaleString('en')} of ${operations.toLocaleString('en')} operations after ${((Date.now() - started) / 1000).toFixed(0)} s; ledger ${ledger?.size ?? '-'}; in flight: ${[...inFlight].filter(([, n]) => n > 0).map(([what, n]) => `${what} ×${n}`).join(', ') || 'nothing'}${waiting.length ? `; ${waiting.join(', ')}` : ''}\n`);
  }, 10_000);
  async function client(index) {
    // One client in `batchEvery` is a batch job on a broker: its batch counts as BATCH operations.
    const broker = index % batchEvery === 0 ? brokers[(index / batchEvery) % brokers.length] : undefined;
    while (next < operations) {
      let ops;
      if (broker) {
        ops = BATCH;
        next += ops;
        await batch(broker).catch((error) => note(`${broker.rig.broker} batch failed: ${error?.message ?? error}`));
      } else {
        const kind = rpcs[nextKind++ % rpcs.length];
        ops = 1 + (kind.messages ?? 0);
        next += ops;
        if (latencyCount < latencies.length) latencies[latencyCount++] = await track(kind.what, () => rpc(kind));
      }
      for (let i = 0; i < ops; i++) if (++done % sampleEvery === 0) await sample();
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, index) => client(index)));
  const seconds = (Date.now() - started) / 1000;
  for (const timer of faultTimers) clearInterval(timer);
  clearInterval(progress);

  for (const broker of brokers) {
    process.stderr.write(`mixed: stopping ${broker.rig.broker}\n`);
    if ((await withinLimit(broker.producer.close())) === NOT_OVER) note(`${broker.rig.broker}: closing the producer ${NOT_OVER}`);
    if ((await withinLimit(broker.consumer.stop())) === NOT_OVER) note(`${broker.rig.broker}: stopping the consumer ${NOT_OVER}`);
    await broker.producerProxy.close();
    await broker.consumerProxy.close();
    await broker.rig.teardown(broker.name);
  }
  for (const [driver] of Object.values(drivers)) driver.close();
  modules['grpc-js'].closeClients();
  for (const server of Object.values(servers)) await server.close();
  for (const proxy of Object.values(rpcProxies)) await proxy.close();
  const sorted = latencies.subarray(0, latencyCount).sort();
  const allProxies = [...brokerProxies, ...Object.values(rpcProxies)];
  const faultsOf = (proxies) => proxies.reduce((all, proxy) => ({ cut: all.cut + proxy.injected.cut, reset: all.reset + proxy.injected.reset, stall: all.stall + proxy.injected.stall }), { cut: 0, reset: 0, stall: 0 });
  return {
    seconds,
    operations: done,
    rpcCalls,
    deadlines,
    endedByFaults,
    published,
    publishes: counts.publishes,
    deliveries: counts.deliveries,
    brokerFaults: faultsOf(brokerProxies),
    rpcFaults: faultsOf(Object.values(rpcProxies)),
    connections: allProxies.reduce((sum, proxy) => sum + proxy.accepted, 0),
    unexpected,
    latency: { p50: sorted[Math.floor(sorted.length / 2)], p99: sorted[Math.floor(sorted.length * 0.99)] },
  };
}
