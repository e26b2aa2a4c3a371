/**
 * The carriers and the manual API of spanweave/runtime (inject, extract, withSpan), loaded as
 * users load them, with a real SDK and W3C trace-context + baggage propagation.
 */
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as Grpc from '@grpc/grpc-js';
import type * as Nats from 'nats';
import type * as Runtime from '../runtime/index.js';
import { api, installSdk, type TestSdk } from './helpers/sdk.js';

const require = createRequire(import.meta.url);
const runtime = require('spanweave/runtime') as typeof Runtime;
// Message hops come with the entry that code compiled from producer and consumer tags imports.
require('spanweave/runtime/messaging');
const grpc = require('@grpc/grpc-js') as typeof Grpc;
const { headers: natsHeaders } = require('nats') as typeof Nats;
const { SpanKind, SpanStatusCode, trace, propagation, context } = api;

let sdk: TestSdk;
beforeEach(() => {
  sdk = installSdk();
});
afterEach(() => sdk.uninstall());

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const spanId = '00f067aa0ba902b7';
const traceparent = `00-${traceId}-${spanId}-01`;

/** Every carrier shape, empty, and how to read a key back from it. */
const shapes: Array<[string, () => unknown, (carrier: never, key: string) => unknown]> = [
  ['a plain object', () => ({}), (c: Record<string, unknown>, k) => c[k]],
  ['a Map', () => new Map(), (c: Map<string, unknown>, k) => c.get(k)],
  ['fetch Headers', () => new Headers(), (c: Headers, k) => c.get(k)],
  ['grpc-js Metadata', () => new grpc.Metadata(), (c: Grpc.Metadata, k) => c.get(k)[0]],
  ['[key, value] pairs', () => [] as Array<[string, string]>, (c: Array<[string, string]>, k) => c.find(([name]) => name === k)?.[1]],
  // A Redis Streams entry's fields, as XADD takes them and ioredis's XREAD gives them back (an
  // empty array takes [key, value] pairs).
  ['a flat [field, value, ...] list', () => ['order', 'o-1'], (c: string[], k) => c[c.indexOf(k) + 1]],
  ['NATS MsgHdrs', () => natsHeaders(), (c: ReturnType<typeof natsHeaders>, k) => c.get(k)],
  // SQS MessageAttributes keep the form of the attributes already there.
  ['SQS MessageAttributes', () => ({ orderId: { DataType: 'String', StringValue: 'o-1' } }), (c: Record<string, { StringValue: string }>, k) => c[k]?.StringValue],
];

describe('inject and extract', () => {
  it.each(shapes)('round-trip the trace and the baggage through %s', (_, create, read) => {
    const carrier = create();
    const span = trace.getTracer('test').startSpan('sender');
    const baggage = propagation.createBaggage({ tenant: { value: 'acme' } });
    runtime.inject(carrier, propagation.setBaggage(trace.setSpan(context.active(), span), baggage));
    expect(read(carrier as never, 'traceparent')).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    const received = runtime.extract(carrier);
    expect(trace.getSpanContext(received)).toMatchObject({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, isRemote: true });
    expect(propagation.getBaggage(received)?.getEntry('tenant')?.value).toBe('acme');
  });

  it('keeps what the carrier held, and reads keys in any case', () => {
    const headers: Record<string, string> = { 'content-type': 'text/plain', Traceparent: traceparent };
    expect(trace.getSpanContext(runtime.extract(headers))?.traceId).toBe(traceId);
    const pairs: Array<[string, string]> = [['x-id', '1'], ['TRACEPARENT', traceparent]];
    expect(trace.getSpanContext(runtime.extract(pairs))?.traceId).toBe(traceId);
    runtime.inject(pairs, trace.setSpan(context.active(), trace.getTracer('test').startSpan('s')));
    expect(pairs.map(([key]) => key)).toEqual(['x-id', 'TRACEPARENT']);
    expect(headers['content-type']).toBe('text/plain');
  });
});

const revoked = Proxy.revocable({}, {});
revoked.revoke();
/** Carrier contents no one should trust: each must extract to "no remote span", without throwing. */
const hostile: Array<[string, unknown]> = [
  ['garbage', { traceparent: 'garbage' }],
  ['a missing field', { traceparent: `00-${traceId}-${spanId}` }],
  ['uppercase hex', { traceparent: `00-${traceId.toUpperCase()}-${spanId}-01` }],
  ['an all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-${spanId}-01` }],
  ['an all-zero span id', { traceparent: `00-${traceId}-${'0'.repeat(16)}-01` }],
  ['version ff', { traceparent: `ff-${traceId}-${spanId}-01` }],
  ['bad flags', { traceparent: `00-${traceId}-${spanId}-zz` }],
  ['a number', { traceparent: 42 }],
  ['an object', { traceparent: { toString: () => traceparent } }],
  ['bytes that are not UTF-8', { traceparent: Buffer.from([0xff, 0xfe, 0x30]) }],
  ['a megabyte of bytes', { traceparent: Buffer.alloc(1 << 20, 0x61) }],
  ['a megabyte', { traceparent: 'a'.repeat(1 << 20), tracestate: 'b'.repeat(1 << 20), baggage: 'c'.repeat(1 << 20) }],
  ['10,000 tracestate members', { traceparent: 'x', tracestate: Array.from({ length: 10_000 }, (_, i) => `k${i}=v`).join(',') }],
  ['a throwing getter', Object.defineProperty({}, 'traceparent', { get: () => { throw new Error('boom'); }, enumerable: true })],
  ['a revoked proxy', revoked.proxy],
  ['a Map of numbers', new Map([['traceparent', 1]])],
  ['Metadata with a binary value', (() => { const m = new grpc.Metadata(); m.set('traceparent-bin', Buffer.from('x')); return m; })()],
  ['pairs with odd entries', [['traceparent'], [42, traceparent]]],
  ['null', null],
  ['undefined', undefined],
  ['a string', traceparent],
  ['a function', () => traceparent],
];

describe('a hop tagged with system= and destination=', () => {
  it.each(['aws.sqs', 'aws_sqs'])('names the span after the destination, records both, and writes an SQS carrier in its form (system=%s)', (system) => {
    const attributes: Record<string, unknown> = {};
    runtime.run('publish', () => undefined, undefined, { kind: 'producer', carrier: () => attributes, system, destination: () => 'orders' });
    const span = sdk.span('send orders');
    expect(span.attributes).toEqual({ 'messaging.system.name': 'aws.sqs', 'messaging.destination.name': 'orders', 'messaging.operation.type': 'send', 'messaging.operation.name': 'send' });
    expect(attributes.traceparent).toEqual({ DataType: 'String', StringValue: `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01` });
    runtime.run('handle', () => undefined, undefined, { kind: 'consumer', carrier: () => attributes, system, destination: () => 'orders', named: true });
    expect(sdk.span('handle').parentSpanContext?.spanId).toBe(span.spanContext().spanId);
    expect(sdk.span('handle').attributes).toMatchObject({ 'messaging.system.name': 'aws.sqs', 'messaging.operation.type': 'process', 'messaging.operation.name': 'process' });
  });

  it.each([
    ['gcp_pubsub', 'consumer', 'subscribe orders', 'gcp.pubsub'],
    ['servicebus', 'producer', 'send orders', 'azure.servicebus'],
    ['aws_sns', 'producer', 'publish orders', 'aws.sns'],
    ['nats', 'producer', 'publish orders', 'nats'],
    ['redis', 'producer', 'xadd orders', 'redis'],
  ] as const)('system=%s: a %s span named %s, messaging.system.name %s', (system, kind, name, current) => {
    runtime.run('fn', () => undefined, undefined, { kind, carrier: () => ({}), system, destination: () => 'orders' });
    expect(sdk.span(name).attributes['messaging.system.name']).toBe(current);
    expect(sdk.span(name).attributes).not.toHaveProperty('messaging.system');
  });

  it.each([
    ['an exchange and a routing key', 'orders:created', 'orders', 'created'],
    ['the default exchange and a routing key (the queue)', 'shipping', '', 'shipping'],
    ['an exchange without a routing key', 'orders', 'orders', undefined],
    ['the default exchange without a routing key', 'amq.default', '', undefined],
  ])('RabbitMQ, %s: the destination is %s', (_, expected, exchange, routingKey) => {
    const attributes = () => ({ 'rabbitmq.destination.routing_key': routingKey });
    runtime.run('publish', () => undefined, attributes, { kind: 'producer', carrier: () => ({}), system: 'rabbitmq', destination: () => exchange });
    const span = sdk.span(`publish ${expected}`);
    expect(span.attributes['messaging.destination.name']).toBe(expected);
    expect(span.attributes['rabbitmq.destination.routing_key']).toBe(routingKey);
  });

  it('RabbitMQ: a routing key given under its older name is recorded under the current one', () => {
    const attributes = () => ({ 'messaging.rabbitmq.destination.routing_key': 'created' });
    runtime.run('handle', () => undefined, attributes, { kind: 'consumer', carrier: () => ({}), system: 'rabbitmq', destination: () => 'orders' });
    const span = sdk.span('consume orders:created');
    expect(span.attributes['rabbitmq.destination.routing_key']).toBe('created');
    expect(span.attributes).not.toHaveProperty('messaging.rabbitmq.destination.routing_key');
  });

  it('an operation name given with attr. names the span too', () => {
    const attributes = () => ({ 'messaging.operation.name': 'schedule' });
    runtime.run('fn', () => undefined, attributes, { kind: 'producer', carrier: () => ({}), system: 'servicebus', destination: () => 'orders' });
    expect(sdk.span('schedule orders').attributes['messaging.operation.type']).toBe('send');
  });

  it('a hop without system= still has its operation name, its type', () => {
    runtime.run('handle', () => undefined, undefined, { kind: 'consumer', carrier: () => ({}) });
    expect(sdk.span('handle').attributes).toEqual({ 'messaging.operation.type': 'process', 'messaging.operation.name': 'process' });
  });

  it('a Redis Streams entry read as bytes (ioredis xreadBuffer) is one message to continue, not a batch', () => {
    const entry = [Buffer.from('order'), Buffer.from('{}'), Buffer.from('traceparent'), Buffer.from(traceparent)];
    runtime.run('process', () => undefined, undefined, { kind: 'consumer', carrier: () => entry });
    const span = sdk.span('process');
    expect(span.parentSpanContext?.spanId).toBe(spanId);
    expect(span.attributes['messaging.batch.message_count']).toBeUndefined();
  });

  it('a destination expression that throws leaves the name and attribute out; the function runs', () => {
    expect(runtime.run('handle', () => 7, undefined, { kind: 'consumer', carrier: () => ({}), destination: () => { throw new Error('no queue'); } })).toBe(7);
    expect(sdk.span('handle').attributes['messaging.destination.name']).toBeUndefined();
  });
});

describe('values as broker clients deliver them', () => {
  it.each([
    ['a Buffer (kafkajs)', { traceparent: Buffer.from(traceparent) }],
    ['an array of Buffers (kafkajs, a repeated header)', { traceparent: [Buffer.from(traceparent)] }],
    ['a Uint8Array', { traceparent: new TextEncoder().encode(traceparent) }],
    ['an SQS attribute', { traceparent: { DataType: 'String', StringValue: traceparent } }],
    ['a string array (MQTT 5 user property)', { traceparent: [traceparent] }],
    ['a flat list (ioredis XREAD)', ['order', 'o-1', 'traceparent', traceparent]],
    ['a flat list of bytes (ioredis xreadBuffer)', [Buffer.from('order'), Buffer.from('o-1'), Buffer.from('traceparent'), Buffer.from(traceparent)]],
  ])('%s: continues the trace', (_, carrier) => {
    expect(trace.getSpanContext(runtime.extract(carrier))).toMatchObject({ traceId, spanId, isRemote: true });
  });
});

describe('hostile carriers', () => {
  it.each(hostile)('%s: extract starts a new trace, inject and extract never throw', (_, carrier) => {
    const extracted = runtime.extract(carrier);
    expect(trace.getSpanContext(extracted)).toBeUndefined();
    const span = trace.getTracer('test').startSpan('next', {}, extracted);
    expect(span.spanContext().traceId).not.toBe(traceId);
    expect(() => runtime.inject(carrier, trace.setSpan(context.active(), span))).not.toThrow();
  });

  it('a frozen carrier: inject leaves it as it was', () => {
    const frozen = Object.freeze({ a: '1' });
    runtime.inject(frozen, trace.setSpan(context.active(), trace.getTracer('test').startSpan('s')));
    expect(frozen).toEqual({ a: '1' });
  });
});

describe('withSpan', () => {
  it('makes the same span as a @traced function: name, kind, status, exception event', async () => {
    const failure = new Error('nope');
    expect(() => runtime.withSpan('manual', () => { throw failure; })).toThrow(failure);
    expect(() => runtime.run('tagged', () => { throw failure; })).toThrow(failure);
    const [manual, tagged] = sdk.spans();
    for (const key of ['kind', 'status', 'attributes'] as const) expect(manual![key]).toEqual(tagged![key]);
    expect(manual!.events.map((e) => [e.name, e.attributes])).toEqual(tagged!.events.map((e) => [e.name, e.attributes]));
    expect(manual!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('is active in fn and what it schedules; ends when a promise settles; gives back the same value', async () => {
    const value = { v: 1 };
    const result = await runtime.withSpan('outer', async (span) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      runtime.withSpan('inner', () => undefined);
      expect(trace.getActiveSpan()).toBe(span);
      return value;
    });
    expect(result).toBe(value);
    const outer = sdk.span('outer');
    expect(sdk.span('inner').parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    await expect(runtime.withSpan('rejects', () => Promise.reject(new TypeError('t')))).rejects.toBeInstanceOf(TypeError);
    expect(sdk.span('rejects').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('takes a parent (an extracted context), a kind, links and root', () => {
    runtime.withSpan('consume', () => undefined, { parent: runtime.extract({ traceparent }), kind: SpanKind.CONSUMER });
    runtime.withSpan('edge', () => undefined, { parent: runtime.extract({ traceparent }), root: true, links: [{ context: { traceId, spanId, traceFlags: 1 } }] });
    expect(sdk.span('consume')).toMatchObject({ kind: SpanKind.CONSUMER, parentSpanContext: { spanId } });
    expect(sdk.span('consume').spanContext().traceId).toBe(traceId);
    expect(sdk.span('edge').parentSpanContext).toBeUndefined();
    expect(sdk.span('edge').links[0]?.context.spanId).toBe(spanId);
  });

  it('with no SDK: runs fn with a non-recording span', () => {
    sdk.uninstall();
    expect(runtime.withSpan('x', (span) => span.isRecording())).toBe(false);
  });
});
