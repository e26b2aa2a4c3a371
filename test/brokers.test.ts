/**
 * Message hops through real brokers: fixtures/brokers, compiled with tspc, publishes with a traced
 * producer in one process and receives with a traced consumer in another, over RabbitMQ (amqplib,
 * through a named exchange and through the default one), NATS JetStream (nats), Redis Streams
 * (ioredis) and MQTT 5 (mqtt on Mosquitto), with OTEL_SEMCONV_STABILITY_OPT_IN unset, asking for the
 * current messaging conventions, and asking for both generations (`messaging/dup`). Kafka has no
 * broker here: its messages go through kafkajs's own encoder and decoder, in this process.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PrintedSpan } from '../fixtures/brokers/src/tracing.js';
import type * as KafkaModule from '../fixtures/brokers/src/kafka.js';
import type * as KafkaWireModule from '../fixtures/brokers/src/kafka-wire.js';
import { brokerServices, describeWithBroker, startChild, type ChildResult, type Describe } from './helpers/brokers.js';
import { compileWithTspc, type Build } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';
import { api, installSdk, type FinishedSpan, type TestSdk } from './helpers/sdk.js';

type BrokerName = keyof typeof brokerServices;

/**
 * Per broker, as its conventions (or, for NATS, MQTT and Redis, which have none yet, spanweave's
 * README) say: `messaging.system.name`, the destination a run named `name` uses, the operation
 * names, and the attributes its tags add.
 */
const conventions: Record<BrokerName, { system: string; destination(name: string): string; operations: [producer: string, consumer: string]; producer: Record<string, unknown>; consumer: Record<string, unknown>; batch: Record<string, unknown> }> = {
  rabbitmq: {
    system: 'rabbitmq',
    destination: (name) => `spanweave.orders.${name}:created`, // {exchange}:{routing key}
    operations: ['publish', 'consume'],
    producer: { 'rabbitmq.destination.routing_key': 'created' },
    consumer: { 'rabbitmq.destination.routing_key': 'created' },
    batch: { 'rabbitmq.destination.routing_key': 'created' },
  },
  nats: { system: 'nats', destination: (name) => `spanweave.orders.${name}`, operations: ['publish', 'process'], producer: {}, consumer: {}, batch: {} },
  redis: {
    system: 'redis',
    destination: (name) => `spanweave:orders:${name}`,
    operations: ['xadd', 'process'],
    producer: {},
    consumer: { 'messaging.consumer.group.name': 'shipping', 'messaging.message.id': expect.stringMatching(/^\d+-\d+$/) },
    batch: { 'messaging.consumer.group.name': 'shipping' },
  },
  mqtt: { system: 'mqtt', destination: (name) => `spanweave/orders/${name}`, operations: ['publish', 'process'], producer: {}, consumer: {}, batch: {} },
};

/** The deprecated names `messaging/dup` adds beside the current ones, and only then. */
const OLD_NAMES = ['messaging.system', 'messaging.rabbitmq.destination.routing_key'];

/** The settings of OTEL_SEMCONV_STABILITY_OPT_IN a hop is run under (unset, the current names asked for, both). */
const SETTINGS = [undefined, 'messaging', 'http,messaging/dup'] as const;
type Setting = (typeof SETTINGS)[number];
const describeSetting = (setting: Setting): string => (setting === undefined ? 'OTEL_SEMCONV_STABILITY_OPT_IN unset' : `OTEL_SEMCONV_STABILITY_OPT_IN=${setting}`);
const withOld = (setting: Setting): boolean => setting?.split(',').includes('messaging/dup') ?? false;

/** The deprecated attributes a span should carry under `setting`: the old `messaging.system` value, the routing key's old name. */
function oldAttributes(setting: Setting, system: string, attributes: Record<string, unknown>): Record<string, unknown> {
  if (!withOld(setting)) return {};
  const old: Record<string, unknown> = { 'messaging.system': system };
  if ('rabbitmq.destination.routing_key' in attributes) old['messaging.rabbitmq.destination.routing_key'] = attributes['rabbitmq.destination.routing_key'];
  return old;
}

function expectOldNamesOnlyWithDup(span: PrintedSpan, setting: Setting): void {
  if (!withOld(setting)) expect(Object.keys(span.attributes).filter((key) => OLD_NAMES.includes(key))).toEqual([]);
}

const body = (id: number): string => JSON.stringify({ id, item: `item-${id}` });

let build: Build;
beforeAll(() => {
  build = compileWithTspc(join(fixturesDir, 'brokers'), [], join(fixturesDir, 'brokers/out-test'));
  expect(build.output).toBe('');
});

function ofKind(spans: readonly PrintedSpan[], kind: string): PrintedSpan[] {
  return spans.filter((span) => span.kind === kind);
}

/**
 * Starts the consumer child, waits until it is subscribed, runs the producer child, and returns
 * what both printed. Both run with OTEL_SEMCONV_STABILITY_OPT_IN set to `setting` (or unset), and
 * are killed in the end, whatever happened.
 */
async function hop(broker: BrokerName | 'rabbitmq-default-exchange', role: 'consume' | 'consume-batch', count: number, setting?: Setting): Promise<{ name: string; producer: ChildResult; consumer: ChildResult }> {
  const name = `r${randomBytes(5).toString('hex')}`; // a queue, subject, stream and topic of this run only
  const script = join(build.outDir, 'child.js');
  const env = { ...process.env, OTEL_SEMCONV_STABILITY_OPT_IN: setting };
  if (setting === undefined) delete env.OTEL_SEMCONV_STABILITY_OPT_IN;
  const consumer = startChild(script, [broker, role, name, String(count)], { env });
  try {
    await Promise.race([consumer.ready, consumer.done]);
    const producerChild = startChild(script, [broker, 'produce', name, String(count)], { env });
    try {
      const producer = await producerChild.done;
      return { name, producer, consumer: await consumer.done };
    } finally {
      producerChild.kill();
    }
  } finally {
    consumer.kill();
  }
}

const suites: Record<BrokerName, Describe> = {
  rabbitmq: await describeWithBroker(brokerServices.rabbitmq),
  nats: await describeWithBroker(brokerServices.nats),
  redis: await describeWithBroker(brokerServices.redis),
  mqtt: await describeWithBroker(brokerServices.mqtt),
};

const batchHow: Record<BrokerName, string> = {
  rabbitmq: 'a prefetch of 3 deliveries',
  nats: 'one JetStream pull fetch of 3',
  redis: 'one XREADGROUP ... COUNT 3 reply',
  mqtt: '3 deliveries collected',
};

for (const broker of Object.keys(suites) as BrokerName[]) {
  const { system, destination, operations, ...extra } = conventions[broker];
  const [produced, consumed] = operations;
  suites[broker](`${brokerServices[broker].name}: producer and consumer in two processes`, () => {
    it.each(SETTINGS.map((setting) => [describeSetting(setting), setting]))('the consumer continues the producer’s trace (%s)', async (_, setting) => {
      const { name, producer, consumer } = await hop(broker, 'consume', 1, setting);
      expect(consumer.processed).toEqual([body(0)]);
      expect(producer.spans).toHaveLength(1);
      expect(consumer.spans).toHaveLength(1);
      const [send] = ofKind(producer.spans, 'PRODUCER');
      const [received] = ofKind(consumer.spans, 'CONSUMER');
      expect(send).toMatchObject({
        name: `${produced} ${destination(name)}`,
        attributes: {
          'messaging.system.name': system,
          'messaging.destination.name': destination(name),
          'messaging.operation.type': 'send',
          'messaging.operation.name': produced,
          ...extra.producer,
          ...oldAttributes(setting, system, extra.producer),
        },
      });
      expect(send!.parentSpanId).toBeUndefined();
      expect(received).toMatchObject({
        name: `${consumed} ${destination(name)}`,
        traceId: send!.traceId,
        parentSpanId: send!.spanId,
        links: [],
        attributes: {
          'messaging.system.name': system,
          'messaging.destination.name': destination(name),
          'messaging.operation.type': 'process',
          'messaging.operation.name': consumed,
          ...extra.consumer,
          ...oldAttributes(setting, system, extra.consumer),
        },
      });
      expect(received!.attributes).not.toHaveProperty('messaging.batch.message_count');
      for (const span of [send!, received!]) expectOldNamesOnlyWithDup(span, setting);
      // The duration metrics keep the system, destination and operation, under the same names as the spans.
      const identity = { 'messaging.system.name': system, 'messaging.destination.name': destination(name), ...(withOld(setting) ? { 'messaging.system': system } : {}) };
      expect(producer.metrics).toEqual([{ name: 'messaging.client.operation.duration', count: 1, attributes: { ...identity, 'messaging.operation.type': 'send', 'messaging.operation.name': produced } }]);
      const group = 'messaging.consumer.group.name' in extra.consumer ? { 'messaging.consumer.group.name': extra.consumer['messaging.consumer.group.name'] } : {};
      expect(consumer.metrics).toEqual([{ name: 'messaging.process.duration', count: 1, attributes: { ...identity, ...group, 'messaging.operation.type': 'process', 'messaging.operation.name': consumed } }]);
    });

    it(`a batch consumer (${batchHow[broker]}) links each message`, async () => {
      const { name, producer, consumer } = await hop(broker, 'consume-batch', 3);
      expect(consumer.processed).toEqual([body(0), body(1), body(2)]);
      const sends = ofKind(producer.spans, 'PRODUCER');
      expect(sends).toHaveLength(3);
      expect(new Set(sends.map((send) => send.traceId)).size).toBe(3); // three messages, three traces
      // The batch span's parent is the context active where it runs: the worker's poll span.
      const [poll] = ofKind(consumer.spans, 'INTERNAL');
      const batches = ofKind(consumer.spans, 'CONSUMER');
      expect(batches).toHaveLength(1);
      expect(poll).toMatchObject({ name: 'worker.poll' });
      expect(batches[0]).toMatchObject({
        name: `${consumed} ${destination(name)}`,
        traceId: poll!.traceId,
        parentSpanId: poll!.spanId,
        attributes: { 'messaging.system.name': system, 'messaging.destination.name': destination(name), 'messaging.operation.type': 'process', 'messaging.operation.name': consumed, 'messaging.batch.message_count': 3, ...extra.batch },
      });
      expect(batches[0]!.links).toEqual(sends.map(({ traceId, spanId }) => ({ traceId, spanId })));
      expect(sends.map((send) => send.traceId)).not.toContain(poll!.traceId);
    });

    if (broker === 'rabbitmq') {
      // The default exchange is named '': the conventions then name the destination by the routing key, the queue.
      it.each(([undefined, 'http,messaging/dup'] as const).map((setting) => [describeSetting(setting), setting] as const))(
        'the default exchange (publish with exchange "" and sendToQueue): the queue names the destination and the spans (%s)',
        async (_, setting) => {
          const { name, producer, consumer } = await hop('rabbitmq-default-exchange', 'consume', 2, setting);
          const queue = `spanweave.shipping.${name}`;
          expect(consumer.processed).toEqual([body(0), body(1)]);
          const sends = ofKind(producer.spans, 'PRODUCER');
          const receives = ofKind(consumer.spans, 'CONSUMER');
          expect(sends).toHaveLength(2);
          expect(receives).toHaveLength(2);
          const attributes = { 'messaging.system.name': 'rabbitmq', 'messaging.destination.name': queue, 'rabbitmq.destination.routing_key': queue };
          const old = oldAttributes(setting, 'rabbitmq', attributes);
          for (const send of sends) {
            expect(send).toMatchObject({ name: `publish ${queue}`, attributes: { ...attributes, ...old, 'messaging.operation.type': 'send', 'messaging.operation.name': 'publish' } });
          }
          receives.forEach((received, i) => {
            expect(received).toMatchObject({
              name: `consume ${queue}`,
              traceId: sends[i]!.traceId,
              parentSpanId: sends[i]!.spanId,
              attributes: { ...attributes, ...old, 'messaging.operation.type': 'process', 'messaging.operation.name': 'consume' },
            });
          });
          for (const span of [...sends, ...receives]) expectOldNamesOnlyWithDup(span, setting);
        },
      );
    }
  });
}

describe('Kafka: the objects kafkajs hands eachMessage and eachBatch (no broker)', () => {
  let sdk: TestSdk;
  let kafka: typeof KafkaModule;
  let wire: typeof KafkaWireModule;

  beforeAll(() => {
    sdk = installSdk();
    kafka = build.load<typeof KafkaModule>('kafka');
    wire = build.load<typeof KafkaWireModule>('kafka-wire');
  });
  beforeEach(() => {
    sdk.reset();
    kafka.processed.length = 0;
  });
  afterAll(() => sdk?.uninstall());

  const topic = (): string => `orders-${randomBytes(4).toString('hex')}`;
  const only = (kind: number): FinishedSpan[] => sdk.spans().filter((span) => span.kind === kind);

  it('eachMessage continues the producer’s trace from Buffer header values', async () => {
    const loop = wire.loopback();
    const orders = topic();
    // A repeated key (two values for x-attempt) comes back as an array of Buffers.
    await kafka.publish(loop.producer, orders, { key: 'order-0', value: body(0), headers: { 'x-attempt': ['1', '2'] } });
    const batch = await loop.fetch(orders);
    const [message] = batch.messages;
    expect(Buffer.isBuffer(message!.headers!['traceparent'])).toBe(true);
    expect(message!.headers!['x-attempt']).toEqual([Buffer.from('1'), Buffer.from('2')]);

    await kafka.eachMessage(wire.eachMessagePayload(batch, message!));
    expect(kafka.processed).toEqual([body(0)]);
    const [send] = only(api.SpanKind.PRODUCER);
    const [received] = only(api.SpanKind.CONSUMER);
    expect(send!.name).toBe(`send ${orders}`);
    expect(send!.attributes).toEqual({ 'messaging.system.name': 'kafka', 'messaging.destination.name': orders, 'messaging.operation.type': 'send', 'messaging.operation.name': 'send' });
    expect(received!.name).toBe(`process ${orders}`);
    expect(received!.spanContext().traceId).toBe(send!.spanContext().traceId);
    expect(received!.parentSpanContext?.spanId).toBe(send!.spanContext().spanId);
    expect(received!.attributes).toEqual({
      'messaging.system.name': 'kafka',
      'messaging.destination.name': orders,
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.consumer.group.name': 'shipping',
      'messaging.destination.partition.id': '0',
      'kafka.offset': 0,
    });
  });

  it('eachBatch is one span, a child of the active context, linked to every message', async () => {
    const loop = wire.loopback();
    const orders = topic();
    for (const id of [0, 1, 2]) await kafka.publish(loop.producer, orders, { value: body(id), headers: {} });
    const sends = only(api.SpanKind.PRODUCER);
    const batch = await loop.fetch(orders);
    expect(batch.messages.map((message) => message.offset)).toEqual(['0', '1', '2']);
    sdk.reset();

    const resolved: string[] = [];
    await api.trace.getTracer('worker').startActiveSpan('poll', async (poll) => {
      await kafka.eachBatch(wire.eachBatchPayload(batch, resolved));
      poll.end();
    });
    expect(resolved).toEqual(['0', '1', '2']);
    expect(kafka.processed).toEqual([body(0), body(1), body(2)]);
    const poll = sdk.span('poll');
    const [received] = only(api.SpanKind.CONSUMER);
    expect(only(api.SpanKind.CONSUMER)).toHaveLength(1);
    expect(received!.name).toBe(`process ${orders}`);
    expect(received!.parentSpanContext?.spanId).toBe(poll.spanContext().spanId);
    expect(received!.spanContext().traceId).toBe(poll.spanContext().traceId);
    expect(received!.attributes).toMatchObject({ 'messaging.system.name': 'kafka', 'messaging.destination.name': orders, 'messaging.operation.type': 'process', 'messaging.operation.name': 'process', 'messaging.batch.message_count': 3 });
    expect(received!.links.map((link) => link.context.spanId)).toEqual(sends.map((send) => send.spanContext().spanId));
  });
});
