/**
 * The client-library wiring around fixtures/broker-faults's traced producers and consumers, one
 * rig per broker, as a program writes it: connections to a port (the fault proxy's), the program's
 * own reconnect where the library has none (amqplib), acks, requeues and redeliveries. Used by
 * test/broker-faults.test.ts and the soak.
 */
import { createRequire } from 'node:module';
import type * as Amqp from 'amqplib';
import type * as IORedis from 'ioredis';
import type * as Mqtt from 'mqtt';
import type * as Nats from 'nats';
import type * as HopsModule from '../../fixtures/broker-faults/src/hops.js';

const require = createRequire(import.meta.url);
const amqp = require('amqplib') as typeof Amqp;
const nats = require('nats') as typeof Nats;
const Redis = require('ioredis') as typeof IORedis.default;
const mqtt = require('mqtt') as typeof Mqtt;

export type Hops = typeof HopsModule;
export type Work = HopsModule.Work;

/** One delivery as the program's consumer loop sees it. */
export interface Delivery {
  readonly body: Buffer;
  /** The broker says it delivered this message before. */
  readonly redelivered: boolean;
  /** Runs the traced consumer on this delivery. */
  handle(work: Work): Promise<void>;
  /** Done with it. */
  ack(): Promise<void>;
  /** Not done: the broker hands it over again (RabbitMQ nack with requeue, NATS nak, Redis: left pending). */
  requeue(): Promise<void>;
}

export interface Consumer {
  stop(): Promise<void>;
}

export interface Producer {
  /** Publishes each body, again where the library says it may be lost; resolves when every body was accepted once. Callers may publish concurrently. */
  publish(bodies: readonly Buffer[]): Promise<void>;
  close(): Promise<void>;
}

export interface Rig {
  readonly broker: 'rabbitmq' | 'nats' | 'redis' | 'mqtt';
  readonly port: number;
  /** Whether the broker can be told a message was not processed, to deliver it again without a reconnect. */
  readonly canRequeue: boolean;
  /** Declares what a run named `name` uses (queue, stream, group, topic). */
  setup(name: string): Promise<void>;
  /** A producer connected through `port`, which publishes with the traced producer and reconnects where the library does not. */
  producer(hops: Hops, name: string, port: number): Promise<Producer>;
  /** Publishes one message without spanweave, with these headers: a message from another producer. */
  publishRaw(name: string, headers: Record<string, string>, body: Buffer): Promise<void>;
  /** Consumes through `port`, handing each delivery to `onDelivery` one at a time. */
  consume(hops: Hops, name: string, port: number, onDelivery: (delivery: Delivery) => Promise<void>): Promise<Consumer>;
  teardown(name: string): Promise<void>;
}

/** Publishes `bodies` on a connection of their own, closed afterwards: how a batch job publishes. */
export async function produce(rig: Rig, hops: Hops, name: string, port: number, bodies: readonly Buffer[]): Promise<void> {
  const producer = await rig.producer(hops, name, port);
  try {
    await producer.publish(bodies);
  } finally {
    await producer.close();
  }
}

const quiet = (): undefined => undefined;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Connects again until it works: a connection attempt may meet a fault too. */
async function connecting<T>(connect: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await connect();
    } catch {
      await pause(100);
    }
  }
}

/** RabbitMQ with amqplib, which does not reconnect: the program opens a new connection when one closes. */
export const rabbitmq: Rig = {
  broker: 'rabbitmq',
  port: 5672,
  canRequeue: true,
  async setup(name) {
    const connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
    const channel = await connection.createChannel();
    await channel.assertQueue(queueOf(name), { durable: false });
    await connection.close();
  },
  async producer(hops, name, port) {
    type Open = { connection: Amqp.ChannelModel; channel: Amqp.ConfirmChannel };
    // The connection every publish shares, opened on first use and again after a fault.
    let current: Promise<Open> | undefined;
    const open = async (): Promise<Open> => {
      const connection = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
      connection.on('error', quiet);
      const channel = await connection.createConfirmChannel();
      channel.on('error', quiet);
      return { connection, channel };
    };
    return {
      async publish(bodies) {
        for (const body of bodies) {
          for (;;) {
            const opening = (current ??= open());
            try {
              const { channel } = await opening;
              hops.publishRabbit(channel, queueOf(name), body, {});
              await channel.waitForConfirms();
              break;
            } catch {
              // The connection was cut: publish again on a new one (the broker may have had it: at least once). The first publish to notice closes it.
              if (current === opening) {
                current = undefined;
                await opening.then(({ connection }) => closeRabbit(connection), quiet);
              }
              await pause(50);
            }
          }
        }
      },
      close: async () => void (await current?.then(({ connection }) => closeRabbit(connection), quiet)),
    };
  },
  async publishRaw(name, headers, body) {
    const connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
    const channel = await connection.createConfirmChannel();
    channel.sendToQueue(queueOf(name), body, { headers });
    await channel.waitForConfirms();
    await connection.close();
  },
  async consume(hops, name, port, onDelivery) {
    let stopped = false;
    let connection: Amqp.ChannelModel | undefined;
    let queue = Promise.resolve();
    /** Connects and subscribes; when that connection closes, does it again. Never rejects. */
    const start = async (): Promise<void> => {
      while (!stopped) {
        let current: Amqp.ChannelModel;
        try {
          current = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
        } catch {
          await pause(100);
          continue;
        }
        if (stopped) {
          // Stopped while it connected: that connection is not wanted.
          await closeRabbit(current);
          return;
        }
        connection = current;
        let restarted = false;
        const restart = (): void => {
          if (restarted || stopped) return;
          restarted = true;
          void start();
        };
        current.on('error', quiet);
        current.on('close', restart);
        try {
          const channel = await current.createChannel();
          channel.on('error', quiet);
          await channel.prefetch(4);
          await channel.consume(queueOf(name), (message) => {
            if (message === null) return;
            const settle = (action: () => void) => async () => {
              try {
                action();
              } catch {
                // The channel closed under it: the broker delivers the message again.
              }
            };
            const delivery: Delivery = {
              body: message.content,
              redelivered: message.fields.redelivered,
              handle: (work) => hops.handleRabbit(message, work),
              ack: settle(() => channel.ack(message)),
              requeue: settle(() => channel.nack(message, false, true)),
            };
            queue = queue.then(() => onDelivery(delivery));
          });
        } catch {
          // The connection went while subscribing: start over on a new one.
          await closeRabbit(current);
          restart();
        }
        return;
      }
    };
    await start();
    return {
      async stop() {
        stopped = true;
        await queue;
        if (connection) await closeRabbit(connection);
      },
    };
  },
  async teardown(name) {
    const connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
    const channel = await connection.createChannel();
    await channel.deleteQueue(queueOf(name));
    await connection.close();
  },
};
const queueOf = (name: string): string => `spanweave.faults.${name}`;

/**
 * Closes an amqplib connection, open or not. amqplib 2.3's close() never settles when the socket
 * dies before the broker's CloseOk (a fault mid-close): its 'close' event comes all the same.
 */
function closeRabbit(connection: Amqp.ChannelModel): Promise<void> {
  return new Promise((resolve) => {
    connection.once('close', () => resolve());
    connection.close().then(resolve, () => resolve());
  });
}

/** NATS JetStream with the nats client, which reconnects by itself; a pull consumer with a short ack wait. */
export const natsRig: Rig = {
  broker: 'nats',
  port: 4222,
  canRequeue: true,
  async setup(name) {
    const connection = await nats.connect({ servers: '127.0.0.1:4222' });
    const jsm = await connection.jetstreamManager();
    await jsm.streams.add({ name: streamOf(name), subjects: [subjectOf(name)], storage: nats.StorageType.Memory });
    await jsm.consumers.add(streamOf(name), { durable_name: 'faults', ack_policy: nats.AckPolicy.Explicit, ack_wait: nats.nanos(2_000) });
    await connection.drain();
  },
  async producer(hops, name, port) {
    const connection = await connecting(() => nats.connect({ servers: `127.0.0.1:${port}`, reconnectTimeWait: 100, maxReconnectAttempts: -1 }));
    const js = connection.jetstream({ timeout: 2_000 });
    return {
      async publish(bodies) {
        for (const body of bodies) {
          for (;;) {
            try {
              await hops.publishNats(js, subjectOf(name), body, nats.headers());
              break;
            } catch {
              await pause(100); // no ack in time (the connection was cut): publish again
            }
          }
        }
      },
      close: () => connection.drain(),
    };
  },
  async publishRaw(name, headers, body) {
    const connection = await nats.connect({ servers: '127.0.0.1:4222' });
    const carrier = nats.headers();
    for (const [key, value] of Object.entries(headers)) carrier.set(key, value);
    await connection.jetstream().publish(subjectOf(name), body, { headers: carrier });
    await connection.drain();
  },
  async consume(hops, name, port, onDelivery) {
    const connection = await nats.connect({ servers: `127.0.0.1:${port}`, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    let stopped = false;
    const loop = (async () => {
      let consumer: Nats.Consumer | undefined;
      while (!stopped) {
        let message: Nats.JsMsg | null = null;
        try {
          consumer ??= await connection.jetstream().consumers.get(streamOf(name), 'faults');
          message = await consumer.next({ expires: 1_000 });
        } catch {
          consumer = undefined; // disconnected: the client reconnects, and the consumer is looked up again
          await pause(100);
        }
        if (message === null) continue;
        const received = message;
        await onDelivery({
          body: Buffer.from(received.data),
          redelivered: received.redelivered,
          handle: (work) => hops.handleNats(received, work),
          ack: async () => received.ack(),
          requeue: async () => received.nak(),
        });
      }
    })();
    return {
      async stop() {
        stopped = true;
        await loop;
        await connection.drain().catch(quiet);
      },
    };
  },
  async teardown(name) {
    const connection = await nats.connect({ servers: '127.0.0.1:4222' });
    await (await connection.jetstreamManager()).streams.delete(streamOf(name));
    await connection.drain();
  },
};
const streamOf = (name: string): string => `SPANWEAVE_FAULTS_${name}`;
const subjectOf = (name: string): string => `spanweave.faults.${name}`;

/**
 * Redis Streams with ioredis, which reconnects and resends by itself; a consumer group read with
 * XREADGROUP. Redis has no nack: an entry left unacknowledged stays pending, and the consumer
 * reads its pending entries (id 0) again before new ones: that is a redelivery.
 */
export const redis: Rig = {
  broker: 'redis',
  port: 6379,
  canRequeue: true,
  async setup(name) {
    const client = new Redis({ host: '127.0.0.1', port: 6379 });
    await client.xgroup('CREATE', redisStreamOf(name), 'faults', '0', 'MKSTREAM');
    client.disconnect();
  },
  async producer(hops, name, port) {
    const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: null, retryStrategy: () => 100 });
    client.on('error', quiet);
    return {
      async publish(bodies) {
        for (const body of bodies) await hops.publishRedis(client, redisStreamOf(name), ['body', body]);
      },
      close: async () => client.disconnect(),
    };
  },
  async publishRaw(name, headers, body) {
    const client = new Redis({ host: '127.0.0.1', port: 6379 });
    await client.xadd(redisStreamOf(name), '*', ...Object.entries(headers).flat(), 'body', body);
    client.disconnect();
  },
  async consume(hops, name, port, onDelivery) {
    const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: null, retryStrategy: () => 100 });
    client.on('error', quiet);
    const stream = redisStreamOf(name);
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        for (const id of ['0', '>']) {
          let reply: Array<[Buffer, HopsModule.Entry[]]> | null = null;
          try {
            reply = (await client.xreadgroupBuffer('GROUP', 'faults', 'worker', 'COUNT', 4, 'BLOCK', id === '>' ? 500 : 1, 'STREAMS', stream, id)) as typeof reply;
          } catch {
            await pause(100);
          }
          for (const entry of reply?.[0]?.[1] ?? []) {
            const fields = entry[1] as Buffer[] | null;
            if (fields === null) continue; // deleted meanwhile
            await onDelivery({
              body: fields[fields.findIndex((field) => field.toString() === 'body') + 1] ?? Buffer.alloc(0),
              redelivered: id === '0',
              handle: (work) => hops.handleRedis(stream, entry, work),
              ack: async () => void (await client.xack(stream, 'faults', entry[0]).catch(quiet)),
              requeue: async () => undefined,
            });
          }
        }
      }
    })();
    return {
      async stop() {
        stopped = true;
        await loop;
        client.disconnect();
      },
    };
  },
  async teardown(name) {
    const client = new Redis({ host: '127.0.0.1', port: 6379 });
    await client.del(redisStreamOf(name));
    client.disconnect();
  },
};
const redisStreamOf = (name: string): string => `spanweave:faults:${name}`;

/**
 * MQTT 5 with mqtt on Mosquitto, which reconnects and resends by itself. QoS 1 in a session that
 * outlives the connection: a message whose PUBACK never went out comes again after a reconnect.
 * MQTT has no nack: a message is acknowledged or the session redelivers it on the next connection.
 */
export const mqttRig: Rig = {
  broker: 'mqtt',
  port: 1883,
  canRequeue: false,
  async setup() {},
  async producer(hops, name, port) {
    // A session that outlives a cut connection, so that the broker keeps what it acknowledged; one client id per producer.
    const clientId = `${name}-producer-${Math.random().toString(36).slice(2)}`;
    const client = await connecting(() => mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 100, clientId, clean: false, properties: { sessionExpiryInterval: 10 } }));
    client.on('error', quiet);
    return {
      async publish(bodies) {
        // A property of the program's own beside the context: mqtt 5.16 never completes a publish whose userProperties is an empty object.
        for (const body of bodies) await hops.publishMqtt(client, topicOf(name), body, { qos: 1, properties: { userProperties: { 'x-app': 'orders' } } });
      },
      close: () => client.endAsync(),
    };
  },
  async publishRaw(name, headers, body) {
    const client = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5 });
    await client.publishAsync(topicOf(name), body, { qos: 1, properties: { userProperties: headers } });
    await client.endAsync();
  },
  async consume(hops, name, port, onDelivery) {
    let queue = Promise.resolve();
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      protocolVersion: 5,
      reconnectPeriod: 100,
      clientId: `${name}-consumer`,
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      customHandleAcks: (_topic, payload, packet, done) => {
        queue = queue.then(() =>
          onDelivery({
            body: payload as Buffer,
            redelivered: packet.dup,
            handle: (work) => hops.handleMqtt(packet, work),
            ack: async () => done(0),
            requeue: async () => undefined,
          }),
        );
      },
    });
    client.on('error', quiet);
    await client.subscribeAsync(topicOf(name), { qos: 1 });
    return {
      async stop() {
        await queue;
        await client.endAsync();
      },
    };
  },
  async teardown(name) {
    // Ends the consumer's session, which would otherwise keep its subscription for a minute.
    const client = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5, clientId: `${name}-consumer`, clean: true });
    await client.endAsync();
  },
};
const topicOf = (name: string): string => `spanweave/faults/${name}`;

export const rigs = { rabbitmq, nats: natsRig, redis, mqtt: mqttRig } as const;
