/**
 * Brokers under faults, on the real servers: fixtures/broker-faults's traced producers and
 * consumers on RabbitMQ (amqplib), NATS JetStream, Redis Streams (ioredis) and MQTT 5 (mqtt on
 * Mosquitto), each client connected through a fault proxy of ours (test/helpers/fault-proxy.ts).
 * One run per broker: the producer's connection is stalled, then cut or reset, mid-publish; the
 * consumer's connection is reset mid-consume before a message is acknowledged (it comes again),
 * stalled mid-consume, a message is requeued once (nack, nak; Redis: left pending), the program's
 * processing throws for one message, and a poison message from another producer arrives (hostile
 * trace context, bytes that are not UTF-8, a megabyte body). The same run goes through the
 * untraced build (plain tsc) first.
 *
 * Checked: no span is left open; every CONSUMER span of a traced message is in its PRODUCER
 * span's trace, its child or linked to it, and a redelivery is a new CONSUMER span there; the
 * poison message is processed once per delivery, in a new trace, its bytes intact; the exception
 * the processing throws is the very one the consumer loop catches; the client libraries reconnect
 * (NATS, ioredis, mqtt by themselves; amqplib has the program reconnect) and deliver everything, as
 * they do untraced. Attribute names are left to test/brokers.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { SpanContext } from '@opentelemetry/api';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import { brokerServices, describeWithBroker } from './helpers/brokers.js';
import { produce, rigs, type Delivery, type Hops, type Rig } from './helpers/broker-rigs.js';
import { compileWithTsc, compileWithTspc } from './helpers/compile.js';
import { FaultProxy, type Fault } from './helpers/fault-proxy.js';
import { fixturesDir } from './helpers/paths.js';
import { api, installSdk, type TestSdk } from './helpers/sdk.js';

/** Counts what the SDK starts and ends, and keeps what ended. */
class Accounting implements SdkTraceBase.SpanProcessor {
  readonly open = new Set<unknown>();
  readonly ended: SdkTraceBase.ReadableSpan[] = [];
  onStart(span: unknown): void {
    this.open.add(span);
  }
  onEnd(span: SdkTraceBase.ReadableSpan): void {
    this.open.delete(span);
    this.ended.push(span);
  }
  forceFlush = async (): Promise<void> => undefined;
  shutdown = async (): Promise<void> => undefined;
}

const accounting = new Accounting();
const warnings: string[] = [];
let sdk: TestSdk;
let traced: Hops;
let plain: Hops;

beforeAll(() => {
  const tracedBuild = compileWithTspc(join(fixturesDir, 'broker-faults'), [], join(fixturesDir, 'broker-faults/out-test'));
  expect(tracedBuild.output).toBe('');
  const plainBuild = compileWithTsc(join(fixturesDir, 'broker-faults'), [], join(fixturesDir, 'broker-faults/out-plain'));
  expect(plainBuild.output).toBe('');
  traced = tracedBuild.load<Hops>('hops');
  plain = plainBuild.load<Hops>('hops');
  sdk = installSdk([accounting]);
  api.diag.setLogger({ error: (m) => warnings.push(m), warn: (m) => warnings.push(m), info: () => undefined, debug: () => undefined, verbose: () => undefined }, api.DiagLogLevel.WARN);
}, 300_000); // two compilers on a busy machine
afterAll(() => {
  api.diag.disable();
  sdk?.uninstall();
});

/** What the consumer does with each special message, by body. */
const RESET = 'reset mid-consume, before the ack';
const REQUEUE = 'requeued once';
const THROWS = 'the processing throws';
const STALL = 'stall mid-consume';
const specials = [RESET, REQUEUE, THROWS, STALL];
const ordinary = Array.from({ length: 20 }, (_, i) => `order ${i}`);

/** A message from another producer: hostile context, bytes that are not UTF-8, a megabyte body. */
function poison(rig: Rig): { headers: Record<string, string>; body: Buffer } {
  const body = Buffer.alloc(rig.broker === 'nats' ? 900_000 : 1 << 20, 0xfe); // NATS: under its 1 MB max_payload
  body.write('poison');
  return {
    headers: {
      traceparent: `00-${'z'.repeat(32)}-${'\u00ff'.repeat(16)}-01`,
      tracestate: Array.from({ length: 2_000 }, (_, i) => `k${i}=v`).join(','),
      // Bytes of broken UTF-8 read as Latin-1 (no NUL: MQTT refuses it in a string, and Mosquitto drops the connection).
      baggage: Buffer.from([0xc3, 0x28, 0xff, 0xfe]).toString('latin1').repeat(1_000),
    },
    body,
  };
}

interface RunResult {
  /** Each body's deliveries: whether the broker marked it redelivered, and the active span then (traced only). */
  readonly deliveries: Map<string, Array<{ redelivered: boolean; span?: SpanContext }>>;
  /** Pairs of (the error the processing threw, the error the consumer loop caught). */
  readonly thrown: Array<[unknown, unknown]>;
  readonly producerProxy: FaultProxy;
  readonly consumerProxy: FaultProxy;
  readonly poisonBody: Buffer;
  readonly poisonReceived: Buffer[];
}

/** One run on one broker with one build: see the file's comment. */
async function run(rig: Rig, hops: Hops, producerFault: Fault): Promise<RunResult> {
  const name = `f${randomBytes(5).toString('hex')}`;
  await rig.setup(name);
  const producerProxy = await FaultProxy.start(rig.port);
  const consumerProxy = await FaultProxy.start(rig.port);
  const deliveries = new Map<string, Array<{ redelivered: boolean; span?: SpanContext }>>();
  const thrown: Array<[unknown, unknown]> = [];
  const { headers, body: poisonBody } = poison(rig);
  const poisonReceived: Buffer[] = [];
  const expectedBodies = [...specials, ...ordinary];
  let allSeen: () => void = () => undefined;
  const everything = new Promise<void>((resolve) => (allSeen = resolve));

  const onDelivery = async (delivery: Delivery): Promise<void> => {
    const isPoison = delivery.body.subarray(0, 6).toString() === 'poison';
    const text = isPoison ? 'poison' : delivery.body.toString();
    const seen = deliveries.get(text) ?? [];
    deliveries.set(text, seen);
    const first = seen.length === 0;
    let failure: unknown;
    try {
      await delivery.handle(async (body) => {
        seen.push({ redelivered: delivery.redelivered, span: api.trace.getActiveSpan()?.spanContext() });
        if (isPoison) poisonReceived.push(Buffer.from(body));
        if (text === THROWS) {
          failure = new Error(`refused: ${text}`);
          throw failure;
        }
      });
    } catch (caught) {
      thrown.push([failure, caught]);
    }
    if (first && text === RESET) {
      // Before the ack: the broker delivers it again (RabbitMQ and MQTT on the next connection, NATS when its ack wait passes, Redis as a pending entry).
      consumerProxy.inject('reset');
      return;
    }
    if (first && text === REQUEUE && rig.canRequeue) return delivery.requeue();
    if (first && text === STALL) consumerProxy.inject('stall', 800);
    await delivery.ack();
    if (expectedBodies.every((body) => deliveries.has(body)) && deliveries.has('poison') && deliveries.get(RESET)!.length >= 2 && (!rig.canRequeue || deliveries.get(REQUEUE)!.length >= 2)) allSeen();
  };

  const consumer = await rig.consume(hops, name, consumerProxy.port, onDelivery);
  try {
    await rig.publishRaw(name, headers, poisonBody);
    // The special messages first, then the ordinary ones with the producer's connection disturbed mid-publish.
    await produce(rig, hops, name, producerProxy.port, specials.map((text) => Buffer.from(text)));
    const faults = [producerProxy.after('up', 300, 'stall', 500), producerProxy.after('up', 700, producerFault)];
    await produce(rig, hops, name, producerProxy.port, ordinary.map((text) => Buffer.from(text)));
    await Promise.all(faults);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([everything, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${rig.broker}: not every message came (and came again) in 40 s: ${[...deliveries].map(([body, list]) => `${body} ×${list.length}`).join(', ')}`)), 40_000)))]);
    clearTimeout(timer);
  } finally {
    await consumer.stop();
    await producerProxy.close();
    await consumerProxy.close();
    await rig.teardown(name);
  }
  return { deliveries, thrown, producerProxy, consumerProxy, poisonBody, poisonReceived };
}

/** What must be the same with and without spanweave. */
function summary(result: RunResult): object {
  return {
    bodies: [...result.deliveries.keys()].sort(),
    redelivered: [RESET, REQUEUE].filter((body) => result.deliveries.get(body)!.length >= 2),
    // A message may come again after a reset, when the processing already ran (at least once): compared without repeats.
    thrown: [...new Set(result.thrown.map(([threw, caught]) => `${String(threw)}, caught as thrown: ${threw === caught}`))],
    poisonIntact: result.poisonReceived.length > 0 && result.poisonReceived.every((body) => body.equals(result.poisonBody)),
    producerReconnected: result.producerProxy.accepted > 1,
    consumerReconnected: result.consumerProxy.accepted > 1,
  };
}

const faults: Record<keyof typeof rigs, Fault> = { rabbitmq: 'cut', nats: 'reset', redis: 'reset', mqtt: 'cut' };

for (const broker of Object.keys(rigs) as Array<keyof typeof rigs>) {
  const rig = rigs[broker];
  const describe = await describeWithBroker(brokerServices[broker]);
  describe(`${brokerServices[broker].name} through a fault proxy`, () => {
    it(`every span ends, a redelivery is a new CONSUMER span in the producer's trace, and the program sees what it sees untraced (producer: ${faults[broker]} mid-publish)`, async () => {
      const spansBefore = accounting.ended.length;
      const untraced = await run(rig, plain, faults[broker]);
      expect(accounting.ended.length).toBe(spansBefore); // the untraced build makes no span
      const result = await run(rig, traced, faults[broker]);
      expect(summary(result)).toEqual(summary(untraced));
      expect(summary(result)).toMatchObject({ redelivered: rig.canRequeue ? [RESET, REQUEUE] : [RESET], poisonIntact: true, thrown: [`Error: refused: ${THROWS}, caught as thrown: true`] });
      expect(result.consumerProxy.accepted).toBeGreaterThan(1); // the reset made the consumer reconnect
      expect(result.producerProxy.injected).toMatchObject({ stall: 1, [faults[broker]]: 1 });

      await vi.waitFor(() => expect(accounting.open.size).toBe(0), { timeout: 5_000, interval: 20 });
      expect(warnings).toEqual([]);
      const byId = new Map(accounting.ended.map((span) => [span.spanContext().spanId, span]));
      const producers = accounting.ended.filter((span) => span.kind === api.SpanKind.PRODUCER);
      expect(producers.length).toBeGreaterThanOrEqual(specials.length + ordinary.length);
      const producerOf = (consumer: SdkTraceBase.ReadableSpan): SdkTraceBase.ReadableSpan | undefined => {
        const ids = [consumer.parentSpanContext?.spanId, ...consumer.links.map((link) => link.context.spanId)];
        return ids.map((id) => (id === undefined ? undefined : byId.get(id))).find((span) => span?.kind === api.SpanKind.PRODUCER);
      };
      for (const [body, seen] of result.deliveries) {
        const consumers = seen.map(({ span }) => byId.get(span!.spanId)!);
        expect(consumers.every((span) => span?.kind === api.SpanKind.CONSUMER), body).toBe(true);
        expect(new Set(consumers.map((span) => span.spanContext().spanId)).size, body).toBe(consumers.length);
        if (body === 'poison') {
          // Hostile context: a new trace each time, nothing continued.
          expect(consumers.map((span) => span.parentSpanContext)).toEqual(consumers.map(() => undefined));
          continue;
        }
        for (const consumer of consumers) {
          const producer = producerOf(consumer);
          expect(producer, `${body}: its CONSUMER span's producer`).toBeDefined();
          expect(consumer.spanContext().traceId).toBe(producer!.spanContext().traceId);
        }
        // Every delivery of one message, redeliveries included, goes back to that message's one PRODUCER span.
        if (body === RESET || body === REQUEUE) expect(new Set(consumers.map((span) => producerOf(span)!.spanContext().spanId)).size, body).toBe(1);
      }
      const failing = byId.get(result.deliveries.get(THROWS)![0]!.span!.spanId)!;
      expect(failing.status.code).toBe(api.SpanStatusCode.ERROR);
    }, 120_000);
  });
}
