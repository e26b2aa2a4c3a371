/**
 * Message hops through real brokers: fixtures/brokers, compiled with tspc, publishes with a traced
 * producer in one process and receives with a traced consumer in another, over RabbitMQ (amqplib),
 * NATS JetStream (nats), Redis Streams (ioredis) and MQTT 5 (mqtt on Mosquitto). Kafka has no
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

/** Per broker: `messaging.system`, the destination a run named `name` uses, and the attributes its tags add. */
const conventions: Record<BrokerName, { system: string; destination(name: string): string; producer: Record<string, unknown>; consumer: Record<string, unknown>; batch: Record<string, unknown> }> = {
  rabbitmq: {
    system: 'rabbitmq',
    destination: (name) => `spanweave.orders.${name}`, // the exchange
    producer: { 'messaging.rabbitmq.destination.routing_key': 'created' },
    consumer: { 'messaging.rabbitmq.destination.routing_key': 'created' },
    batch: {},
  },
  nats: { system: 'nats', destination: (name) => `spanweave.orders.${name}`, producer: {}, consumer: {}, batch: {} },
  redis: {
    system: 'redis',
    destination: (name) => `spanweave:orders:${name}`,
    producer: {},
    consumer: { 'messaging.consumer.group.name': 'shipping', 'messaging.message.id': expect.stringMatching(/^\d+-\d+$/) },
    batch: { 'messaging.consumer.group.name': 'shipping' },
  },
  mqtt: { system: 'mqtt', destination: (name) => `spanweave/orders/${name}`, producer: {}, consumer: {}, batch: {} },
};

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
 * what both printed. Both are killed in the end, whatever happened.
 */
async function hop(broker: BrokerName, role: 'consume' | 'consume-batch', count: number): Promise<{ name: string; producer: ChildResult; consumer: ChildResult }> {
  const name = `r${randomBytes(5).toString('hex')}`; // a queue, subject, stream and topic of this run only
  const script = join(build.outDir, 'child.js');
  const consumer = startChild(script, [broker, role, name, String(count)]);
  try {
    await Promise.race([consumer.ready, consumer.done]);
    const producerChild = startChild(script, [broker, 'produce', name, String(count)]);
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
  const { system, destination, ...extra } = conventions[broker];
  suites[broker](`${brokerServices[broker].name}: producer and consumer in two processes`, () => {
    it('the consumer continues the producer’s trace', async () => {
      const { name, producer, consumer } = await hop(broker, 'consume', 1);
      expect(consumer.processed).toEqual([body(0)]);
      expect(producer.spans).toHaveLength(1);
      expect(consumer.spans).toHaveLength(1);
      const [send] = ofKind(producer.spans, 'PRODUCER');
      const [received] = ofKind(consumer.spans, 'CONSUMER');
      expect(send).toMatchObject({
        name: `send ${destination(name)}`,
        attributes: { 'messaging.system': system, 'messaging.destination.name': destination(name), 'messaging.operation.type': 'send', ...extra.producer },
      });
      expect(send!.parentSpanId).toBeUndefined();
      expect(received).toMatchObject({
        name: `process ${destination(name)}`,
        traceId: send!.traceId,
        parentSpanId: send!.spanId,
        links: [],
        attributes: { 'messaging.system': system, 'messaging.destination.name': destination(name), 'messaging.operation.type': 'process', ...extra.consumer },
      });
      expect(received!.attributes).not.toHaveProperty('messaging.batch.message_count');
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
        name: `process ${destination(name)}`,
        traceId: poll!.traceId,
        parentSpanId: poll!.spanId,
        attributes: { 'messaging.system': system, 'messaging.destination.name': destination(name), 'messaging.operation.type': 'process', 'messaging.batch.message_count': 3, ...extra.batch },
      });
      expect(batches[0]!.links).toEqual(sends.map(({ traceId, spanId }) => ({ traceId, spanId })));
      expect(sends.map((send) => send.traceId)).not.toContain(poll!.traceId);
    });
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
    expect(send!.attributes).toEqual({ 'messaging.system': 'kafka', 'messaging.destination.name': orders, 'messaging.operation.type': 'send' });
    expect(received!.name).toBe(`process ${orders}`);
    expect(received!.spanContext().traceId).toBe(send!.spanContext().traceId);
    expect(received!.parentSpanContext?.spanId).toBe(send!.spanContext().spanId);
    expect(received!.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.destination.name': orders,
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': 'shipping',
      'messaging.destination.partition.id': '0',
      'messaging.kafka.offset': 0,
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
    expect(received!.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.destination.name': orders, 'messaging.operation.type': 'process', 'messaging.batch.message_count': 3 });
    expect(received!.links.map((link) => link.context.spanId)).toEqual(sends.map((send) => send.spanContext().spanId));
  });
});
