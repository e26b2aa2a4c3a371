// The soak's mixed phase (run by test/soak.mjs, `npm run soak`): every gRPC stack and every broker
// at once. fixtures/stacks's Echo on Connect (gRPC over HTTP/2 and Connect over HTTP/1.1), nice-grpc,
// NestJS and grpc-js, called by their traced clients: the chain Connect -> nice-grpc -> NestJS ->
// grpc-js, each stack's unary and server stream, a NOT_FOUND, and a deadline that passes; and
// batches of messages through fixtures/broker-faults's traced producers and consumers on RabbitMQ,
// NATS JetStream, Redis Streams and MQTT, every broker connection through a fault proxy that cuts,
// resets or stalls a random one every few hundred milliseconds. The spans of each kind of call
// are known, and the program counts every publish attempt and every delivery it handles: the
// spans the SDK exports must be exactly those. Then every connection is closed: the process's file
// descriptors and sockets must be back to what they were before.
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FaultProxy } from './helpers/fault-proxy.ts';
import { rigs } from './helpers/broker-rigs.ts';

const require = createRequire(import.meta.url);

/** The process's open file descriptors, and how many of them are sockets. */
export function descriptors() {
  const fds = readdirSync('/proc/self/fd');
  let sockets = 0;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // closed while listing (the listing's own descriptor)
    }
  }
  return { fds: fds.length, sockets };
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
 * Runs `operations` operations (an RPC, or one message published) from `concurrency` clients.
 * `sample()` is called every tenth of the run (the heap). Returns what it counted.
 */
export async function soakMixed({ out, operations, concurrency, sample, faultEveryMs = 300 }) {
  const load = (module) => require(join(out.stacks, `${module}.js`));
  const modules = { 'grpc-js': load('grpc-js'), connect: load('connect'), 'nice-grpc': load('nice'), nestjs: load('nest') };
  const servers = {};
  for (const [stack, module] of Object.entries(modules)) servers[stack] = await module.startServer();
  const drivers = {
    'grpc-js': modules['grpc-js'].driver(servers['grpc-js'].address),
    'Connect gRPC h2': modules.connect.driver(servers.connect.address, 'grpc', '2'),
    'Connect h1.1': modules.connect.driver(servers.connect.http1Address, 'connect', '1.1'),
    'nice-grpc': modules['nice-grpc'].driver(servers['nice-grpc'].address),
    NestJS: modules.nestjs.driver(servers.nestjs.address),
  };
  const chain = ['nice-grpc', 'nestjs', 'grpc-js'].map((stack) => `${stack}@${servers[stack].address}`);

  // The program's own counts of the broker spans it causes: a PRODUCER span per publish attempt, a CONSUMER span per delivery handled.
  const hops = require(join(out.brokers, 'hops.js'));
  const counts = { publishes: 0, deliveries: 0 };
  const countingHops = Object.fromEntries(Object.entries(hops).map(([name, fn]) => [name, (...args) => (counts[name.startsWith('publish') ? 'publishes' : 'deliveries']++, fn(...args))]));

  /** Each kind of RPC, the spans it makes, and how it must end. */
  const rpcs = [];
  for (const [client, driver] of Object.entries(drivers)) {
    rpcs.push([`${client} unary`, 2, () => driver.say({ text: 'soak' }), 'ok']);
    rpcs.push([`${client} server stream`, 2, () => driver.count({ count: 3 }), 'ok']);
    rpcs.push([`${client} NOT_FOUND`, 2, () => driver.say({ text: 'soak', fail: 'NOT_FOUND' }), 5]);
  }
  rpcs.push(['chain Connect -> nice-grpc -> NestJS -> grpc-js', 8, () => drivers['Connect gRPC h2'].say({ text: 'soak', next: chain }), 'ok']);
  // Its SERVER span is made only if the request reached the server before the client gave up: on a busy machine it may not.
  rpcs.push(['Connect past its deadline', 2, () => drivers['Connect gRPC h2'].say({ text: 'soak', delayMs: 200 }, { timeoutMs: 20 }), 4]);

  // Brokers: a consumer each, through a proxy; producers publish batches through another.
  const brokers = [];
  for (const rig of Object.values(rigs)) {
    const name = `soak${Date.now().toString(36)}${rig.broker}`;
    await rig.setup(name);
    const producerProxy = await FaultProxy.start(rig.port);
    const consumerProxy = await FaultProxy.start(rig.port);
    const pending = new Map(); // body -> resolve, for the batch waiting on it
    const consumer = await rig.consume(countingHops, name, consumerProxy.port, async (delivery) => {
      await delivery.handle(() => undefined);
      await delivery.ack();
      const body = delivery.body.toString();
      pending.get(body)?.();
      pending.delete(body);
    });
    brokers.push({ rig, name, producerProxy, consumerProxy, pending, consumer, published: 0, batches: 0 });
  }
  const unexpected = new Map();
  const BATCH = 20;
  let batchSerial = 0;
  /** Publishes a batch of messages and waits until each has been handled at least once. */
  async function brokerBatch(broker) {
    const bodies = Array.from({ length: BATCH }, (_, i) => `${broker.rig.broker} ${batchSerial} ${i}`);
    batchSerial++;
    const handled = Promise.all(bodies.map((body) => new Promise((resolve) => broker.pending.set(body, resolve))));
    await broker.rig.produce(countingHops, broker.name, broker.producerProxy.port, bodies.map((body) => Buffer.from(body)));
    let timer;
    const lost = new Promise((resolve) => (timer = setTimeout(resolve, 60_000, 'lost')));
    if ((await Promise.race([handled, lost])) === 'lost') {
      const missing = bodies.filter((body) => broker.pending.delete(body)).length;
      unexpected.set(`${broker.rig.broker}: messages never delivered`, (unexpected.get(`${broker.rig.broker}: messages never delivered`) ?? 0) + missing);
    }
    clearTimeout(timer);
    broker.published += BATCH;
    broker.batches++;
  }

  const proxies = brokers.flatMap((broker) => [broker.producerProxy, broker.consumerProxy]);
  const faultKinds = ['cut', 'reset', 'stall'];
  const faultTimer = setInterval(() => {
    const proxy = proxies[Math.floor(Math.random() * proxies.length)];
    proxy.inject(faultKinds[Math.floor(Math.random() * faultKinds.length)], 300);
  }, faultEveryMs);

  let rpcSpans = 0;
  let rpcCalls = 0;
  let deadlines = 0;
  let next = 0;
  let done = 0;
  const sampleEvery = Math.max(Math.floor(operations / 10), 1);
  const latencies = [];
  const started = Date.now();
  const inFlight = new Map();
  // A line every 10 s on stderr: how far the run is, and what waits (a soak that hangs says where).
  const progress = setInterval(() => {
    const waiting = brokers.filter((broker) => broker.pending.size > 0).map((broker) => `${broker.rig.broker} ${broker.pending.size} undelivered`);
    process.stderr.write(`mixed: ${done.toLocaleString('en')} of ${operations.toLocaleString('en')} operations after ${((Date.now() - started) / 1000).toFixed(0)} s; in flight: ${[...inFlight].filter(([, n]) => n > 0).map(([what, n]) => `${what} ×${n}`).join(', ') || 'nothing'}${waiting.length ? `; ${waiting.join(', ')}` : ''}\n`);
  }, 10_000);
  const track = async (what, work) => {
    inFlight.set(what, (inFlight.get(what) ?? 0) + 1);
    try {
      return await work();
    } finally {
      inFlight.set(what, inFlight.get(what) - 1);
    }
  };
  async function client(index) {
    // One client in ten is a broker producer: its batch counts as BATCH operations.
    const broker = index % 10 === 0 ? brokers[(index / 10) % brokers.length] : undefined;
    while (next < operations) {
      let ops = 1;
      if (broker) {
        ops = BATCH;
        next += BATCH;
        await track(`${broker.rig.broker} batch`, () => brokerBatch(broker)).catch((error) => {
          const what = `${broker.rig.broker} batch failed: ${error?.message ?? error}`;
          unexpected.set(what, (unexpected.get(what) ?? 0) + 1);
        });
      } else {
        const [name, spans, call, expected] = rpcs[next++ % rpcs.length];
        const begin = performance.now();
        const outcome = await track(name, () => call().then(() => 'ok', (error) => error.code ?? error.name));
        latencies.push(performance.now() - begin);
        rpcCalls++;
        rpcSpans += spans;
        if (expected === 4) deadlines++;
        if (outcome !== expected) unexpected.set(`${name}: ${outcome}`, (unexpected.get(`${name}: ${outcome}`) ?? 0) + 1);
      }
      for (let i = 0; i < ops; i++) if (++done % sampleEvery === 0) await sample();
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, index) => client(index)));
  const seconds = (Date.now() - started) / 1000;
  clearInterval(faultTimer);
  clearInterval(progress);

  for (const broker of brokers) {
    process.stderr.write(`mixed: stopping ${broker.rig.broker}\n`);
    await broker.consumer.stop();
    await broker.producerProxy.close();
    await broker.consumerProxy.close();
    await broker.rig.teardown(broker.name);
  }
  for (const driver of Object.values(drivers)) driver.close();
  modules['grpc-js'].closeClients();
  for (const server of Object.values(servers)) await server.close();
  latencies.sort((a, b) => a - b);
  return {
    seconds,
    operations: done,
    rpcCalls,
    rpcSpans,
    deadlines,
    published: brokers.reduce((sum, broker) => sum + broker.published, 0),
    publishes: counts.publishes,
    deliveries: counts.deliveries,
    faults: proxies.reduce((all, proxy) => ({ cut: all.cut + proxy.injected.cut, reset: all.reset + proxy.injected.reset, stall: all.stall + proxy.injected.stall }), { cut: 0, reset: 0, stall: 0 }),
    reconnects: proxies.reduce((sum, proxy) => sum + proxy.accepted, 0),
    unexpected,
    latency: { p50: latencies[Math.floor(latencies.length / 2)], p99: latencies[Math.floor(latencies.length * 0.99)] },
  };
}
