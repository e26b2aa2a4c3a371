/**
 * fixtures/grpc: three grpc-js services on 127.0.0.1 (Gateway -> Users, Orders), handlers and
 * clients marked with tags, compiled with tspc, called for real with a real SDK.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Grpc from '@grpc/grpc-js';
import { compileWithTranspileModule, compileWithTspc } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';
import { finishedTree } from './helpers/trees.js';
import { api, installSdk, type FinishedSpan, type TestSdk } from './helpers/sdk.js';
import type * as AppModule from '../fixtures/grpc/src/app.js';
import type * as CallsModule from '../fixtures/grpc/src/calls.js';
import type * as GatewayModule from '../fixtures/grpc/src/gateway.js';
import type * as OrdersModule from '../fixtures/grpc/src/orders.js';
import type * as UsersModule from '../fixtures/grpc/src/users.js';

const grpc = createRequire(import.meta.url)('@grpc/grpc-js') as typeof Grpc;
const { SpanKind, SpanStatusCode } = api;

let sdk: TestSdk;
let app: AppModule.App;
let gateway: typeof GatewayModule;
let usersModule: typeof UsersModule;
let ordersModule: typeof OrdersModule;
let calls: typeof CallsModule;

beforeAll(async () => {
  // Built beside proto/, which the fixture loads at run time.
  const build = compileWithTspc(join(fixturesDir, 'grpc'), [], join(fixturesDir, 'grpc/out-test'));
  expect(build.output).toBe('');
  sdk = installSdk();
  app = await build.load<typeof AppModule>('app').startApp();
  gateway = build.load<typeof GatewayModule>('gateway');
  usersModule = build.load<typeof UsersModule>('users');
  ordersModule = build.load<typeof OrdersModule>('orders');
  calls = build.load<typeof CallsModule>('calls');
});
beforeEach(() => sdk.reset());
afterAll(async () => {
  await app?.close();
  sdk?.uninstall();
});

type UnaryMethod = (request: never, metadata: Grpc.Metadata, options: Grpc.CallOptions, callback: (error: Grpc.ServiceError | null, response: unknown) => void) => unknown;

/** Calls a unary method of a grpc-js client and settles with [error, response]. */
function unary<C extends Grpc.Client, M extends keyof C>(client: C, method: M, request: object, metadata = new grpc.Metadata(), options: Grpc.CallOptions = {}): Promise<[Grpc.ServiceError | null, unknown]> {
  const call = client[method] as unknown as UnaryMethod;
  return new Promise((resolve) => call.call(client, request as never, metadata, options, (error, response) => resolve([error, response])));
}

/** Waits for `count` finished spans: a server span may end just after the client saw its status. */
async function spansWhenDone(count: number): Promise<FinishedSpan[]> {
  await vi.waitFor(() => expect(sdk.spans().length).toBeGreaterThanOrEqual(count), { timeout: 5000, interval: 5 });
  return sdk.spans();
}

const kindName = (span: FinishedSpan): string => SpanKind[span.kind];

/** The spans as a tree of `name KIND status`, children indented under their parent. */
const tree = (spans: readonly FinishedSpan[]): string =>
  finishedTree(spans, (span) => `${span.name} ${kindName(span)} ${span.attributes['rpc.status_code']}${span.status.code === SpanStatusCode.ERROR ? ' !' : ''}`);

function only(spans: readonly FinishedSpan[], name: string, kind: number): FinishedSpan {
  const found = spans.filter((s) => s.name === name && s.kind === kind);
  expect(found, `${name} ${SpanKind[kind]}`).toHaveLength(1);
  return found[0]!;
}

describe('a call chain across three services', () => {
  it('is one trace: each CLIENT span is the parent of its SERVER span', async () => {
    const [error, reply] = await unary(app.gateway, 'placeOrder', { userId: 'ada', items: ['book', 'pen'] });
    expect(error).toBeNull();
    expect(reply).toEqual({ summary: 'Ada Lovelace ordered 2 items (o1:shipped)' });
    const spans = await spansWhenDone(9);
    expect(tree(spans)).toBe(
      [
        'shop.Gateway/PlaceOrder CLIENT OK',
        '  shop.Gateway/PlaceOrder SERVER OK',
        '    shop.Users/GetUser CLIENT OK',
        '      shop.Users/GetUser SERVER OK',
        '    shop.Orders/UploadItems CLIENT OK',
        '      shop.Orders/UploadItems SERVER OK',
        '    shop.Orders/Track CLIENT OK',
        '      shop.Orders/Track SERVER OK',
        '    summarize INTERNAL undefined',
      ].join('\n'),
    );
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it('records the RPC attributes of the current semantic conventions', async () => {
    await unary(app.gateway, 'placeOrder', { userId: 'ada', items: ['book'] });
    const spans = await spansWhenDone(8);
    const server = only(spans, 'shop.Users/GetUser', SpanKind.SERVER);
    expect(server.attributes).toMatchObject({
      'rpc.system.name': 'grpc',
      'rpc.method': 'shop.Users/GetUser',
      'rpc.status_code': 'OK',
      'server.address': '127.0.0.1',
      'network.peer.address': '127.0.0.1',
      'user.id': 'ada',
    });
    expect(server.attributes['server.port']).toBeTypeOf('number');
    expect(server.attributes['network.peer.port']).toBeTypeOf('number');
    const client = only(spans, 'shop.Users/GetUser', SpanKind.CLIENT);
    expect(client.attributes).toMatchObject({ 'rpc.system.name': 'grpc', 'rpc.method': 'shop.Users/GetUser', 'rpc.status_code': 'OK', 'server.address': '127.0.0.1', 'network.peer.address': '127.0.0.1' });
    expect(client.attributes['server.port']).toBe(server.attributes['server.port']);
    for (const span of spans) expect(Object.keys(span.attributes).filter((key) => key.startsWith('rpc.grpc') || key === 'rpc.service')).toEqual([]);
  });

  it('records metadata values only for the keys a tag allows', async () => {
    await unary(app.gateway, 'placeOrder', { userId: 'ada', items: ['book'] });
    const spans = await spansWhenDone(8);
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      expect(only(spans, 'shop.Orders/UploadItems', kind).attributes['rpc.request.metadata.x-tenant']).toEqual(['acme']);
    }
    for (const span of spans.filter((s) => s.name !== 'shop.Orders/UploadItems')) {
      expect(Object.keys(span.attributes).filter((key) => key.includes('metadata'))).toEqual([]);
    }
  });
});

describe('statuses', () => {
  it('NOT_FOUND: an error on the client span, not on the server span', async () => {
    const [error] = await unary(app.clients.users, 'getUser', { id: 'nobody' });
    expect(error?.code).toBe(grpc.status.NOT_FOUND);
    const spans = await spansWhenDone(2);
    expect(tree(spans)).toBe(['shop.Users/GetUser CLIENT NOT_FOUND !', '  shop.Users/GetUser SERVER NOT_FOUND'].join('\n'));
    const client = only(spans, 'shop.Users/GetUser', SpanKind.CLIENT);
    expect(client.attributes['error.type']).toBe('NOT_FOUND');
    expect(client.status.message).toBe('no user nobody');
    expect(only(spans, 'shop.Users/GetUser', SpanKind.SERVER).attributes['error.type']).toBeUndefined();
  });

  it('a handler that throws: UNKNOWN, the exception recorded on the server span', async () => {
    const [error] = await unary(app.clients.users, 'getUser', { id: 'crash' });
    expect(error?.code).toBe(grpc.status.UNKNOWN);
    const spans = await spansWhenDone(2);
    expect(tree(spans)).toBe(['shop.Users/GetUser CLIENT UNKNOWN !', '  shop.Users/GetUser SERVER UNKNOWN !'].join('\n'));
    const server = only(spans, 'shop.Users/GetUser', SpanKind.SERVER);
    expect(server.events.map((e) => [e.name, e.attributes?.['exception.message']])).toEqual([['exception', 'users database is on fire']]);
    expect(server.status).toEqual({ code: SpanStatusCode.ERROR, message: 'users database is on fire' });
  });

  it('server streaming: every message, then OK', async () => {
    expect(await gateway.listUsers(app.clients, 3)).toEqual({ users: ['u0', 'u1', 'u2'] });
    expect(tree(await spansWhenDone(2))).toBe(['shop.Users/ListUsers CLIENT OK', '  shop.Users/ListUsers SERVER OK'].join('\n'));
  });

  it('a server stream that errors halfway', async () => {
    expect(await gateway.listUsers(app.clients, 5, 2)).toEqual({ users: ['u0', 'u1'], error: 'INTERNAL' });
    const spans = await spansWhenDone(2);
    expect(tree(spans)).toBe(['shop.Users/ListUsers CLIENT INTERNAL !', '  shop.Users/ListUsers SERVER INTERNAL !'].join('\n'));
    expect(only(spans, 'shop.Users/ListUsers', SpanKind.SERVER).status.message).toBe('stream broke after 2');
  });

  it('client streaming rejected by the handler', async () => {
    await expect(gateway.uploadItems(app.clients, ['book', 'forbidden'], 't')).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect(tree(await spansWhenDone(2))).toBe(['shop.Orders/UploadItems CLIENT PERMISSION_DENIED !', '  shop.Orders/UploadItems SERVER PERMISSION_DENIED'].join('\n'));
  });
});

describe('inside a handler', () => {
  it("the call's event listeners ('data', 'end') run in the handler's span: a message published on 'end' is its child", async () => {
    const published: Array<{ headers: Record<string, string> }> = [];
    const { server, address } = await ordersModule.startOrders((message) => published.push(message));
    const clients = gateway.connect({ users: app.usersAddress, orders: address });
    try {
      await gateway.uploadItems(clients, ['book'], 't');
      const spans = await spansWhenDone(3);
      expect(tree(spans)).toBe(['shop.Orders/UploadItems CLIENT OK', '  shop.Orders/UploadItems SERVER OK', '    send orders.placed PRODUCER undefined'].join('\n'));
      const producer = only(spans, 'send orders.placed', SpanKind.PRODUCER);
      expect(published[0]?.headers['traceparent']).toBe(`00-${producer.spanContext().traceId}-${producer.spanContext().spanId}-01`);
    } finally {
      clients.users.close();
      clients.orders.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    }
  });
});

describe('calls that do not finish normally', () => {
  it('deadline exceeded: both sides end, the server span an error', async () => {
    const [error] = await unary(app.clients.users, 'getUser', { id: 'slow' }, new grpc.Metadata(), { deadline: Date.now() + 50 });
    expect(error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    const spans = await spansWhenDone(2);
    expect(tree(spans)).toBe(['shop.Users/GetUser CLIENT DEADLINE_EXCEEDED !', '  shop.Users/GetUser SERVER DEADLINE_EXCEEDED !'].join('\n'));
    // The handler's late callback after the deadline does not end the span twice.
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(sdk.spans()).toHaveLength(2);
  });

  it('a client that cancels a server stream: CANCELLED, an error only for the client', async () => {
    const stream = app.clients.users.listUsers({ count: -1 });
    const closed = new Promise<Grpc.ServiceError>((resolve) => stream.on('error', resolve));
    await new Promise((resolve) => stream.once('data', resolve));
    stream.cancel();
    expect((await closed).code).toBe(grpc.status.CANCELLED);
    expect(tree(await spansWhenDone(2))).toBe(['shop.Users/ListUsers CLIENT CANCELLED !', '  shop.Users/ListUsers SERVER CANCELLED'].join('\n'));
  });

  it('a client that cancels a bidi stream whose handler then completes: the server reports what it sent', async () => {
    const stream = app.clients.orders.track();
    const closed = new Promise<Grpc.ServiceError>((resolve) => stream.on('error', resolve));
    stream.write({ orderId: 'o9' });
    await new Promise((resolve) => stream.once('data', resolve));
    stream.cancel();
    expect((await closed).code).toBe(grpc.status.CANCELLED);
    // grpc-js ends the request stream on cancel, so this handler ends its response normally.
    expect(tree(await spansWhenDone(2))).toBe(['shop.Orders/Track CLIENT CANCELLED !', '  shop.Orders/Track SERVER OK'].join('\n'));
  });

  it('a client that never sends end: the deadline ends both spans', async () => {
    const stream = app.clients.orders.uploadItems(new grpc.Metadata(), { deadline: Date.now() + 100 }, () => undefined);
    stream.write({ name: 'book' });
    expect(tree(await spansWhenDone(2))).toBe(['shop.Orders/UploadItems CLIENT DEADLINE_EXCEEDED !', '  shop.Orders/UploadItems SERVER DEADLINE_EXCEEDED !'].join('\n'));
  });
});

describe('incoming context', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parentId = '00f067aa0ba902b7';

  it('continues a trace from a client that is not traced by spanweave (hand-set traceparent)', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', `00-${traceId}-${parentId}-01`);
    const [error] = await unary(app.plainUsers, 'getUser', { id: 'ada' }, metadata);
    expect(error).toBeNull();
    const server = only(await spansWhenDone(1), 'shop.Users/GetUser', SpanKind.SERVER);
    expect(server.spanContext().traceId).toBe(traceId);
    expect(server.parentSpanContext?.spanId).toBe(parentId);
    expect(server.parentSpanContext?.isRemote).toBe(true);
  });

  it.each([['garbage'], [`00-${traceId}-${parentId}`], [`00-${'0'.repeat(32)}-${parentId}-01`], [`ff-${traceId}-${parentId}-01`], ['x'.repeat(10_000)]])(
    'a malformed traceparent %#: the handler runs and a new trace starts',
    async (traceparent) => {
      const metadata = new grpc.Metadata();
      metadata.set('traceparent', traceparent);
      const [error, user] = await unary(app.plainUsers, 'getUser', { id: 'bob' }, metadata);
      expect(error).toBeNull();
      expect(user).toEqual({ id: 'bob', name: 'Bob' });
      const server = only(await spansWhenDone(1), 'shop.Users/GetUser', SpanKind.SERVER);
      expect(server.parentSpanContext).toBeUndefined();
      expect(server.spanContext().traceId).not.toBe(traceId);
    },
  );
});

describe('clients and servers of other shapes', () => {
  it('a client class of generated code (makeGenericClientConstructor) gets CLIENT spans', async () => {
    const users = gateway.connectGenerated(app.usersAddress);
    const [error, user] = await unary(users, 'getUser', { id: 'bob' });
    users.close();
    expect(error).toBeNull();
    expect(user).toEqual({ id: 'bob', name: 'Bob' });
    expect(tree(await spansWhenDone(2))).toBe(['shop.Users/GetUser CLIENT OK', '  shop.Users/GetUser SERVER OK'].join('\n'));
  });

  it('public: an untrusted caller starts a new trace, linked to its context', async () => {
    const { server, address } = await usersModule.startPublicUsers();
    const users = gateway.connectGenerated(address);
    try {
      const metadata = new grpc.Metadata();
      metadata.set('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
      const [error] = await unary(users, 'getUser', { id: 'ada' }, metadata);
      expect(error).toBeNull();
      const spans = await spansWhenDone(2);
      const serverSpan = only(spans, 'shop.Users/GetUser', SpanKind.SERVER);
      const clientSpan = only(spans, 'shop.Users/GetUser', SpanKind.CLIENT);
      expect(serverSpan.parentSpanContext).toBeUndefined();
      expect(serverSpan.spanContext().traceId).not.toBe(clientSpan.spanContext().traceId);
      expect(serverSpan.links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([[clientSpan.spanContext().traceId, clientSpan.spanContext().spanId]]);
    } finally {
      users.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    }
  });
});


describe('@traced grpc.client on functions making calls through untraced clients', () => {
  const messageEvents = (span: FinishedSpan): string[] =>
    span.events.filter((event) => event.name === 'rpc.message').map((event) => `${event.attributes?.['rpc.message.type']}#${event.attributes?.['rpc.message.id']}`);

  it.each([[true], [false]])('unary (metadata passed: %s): a CLIENT span, the parent of the SERVER span, with the caller\'s metadata kept', async (withMetadata) => {
    expect(await calls.fetchUser(app.plainUsers, 'ada', withMetadata)).toEqual({ id: 'ada', name: 'Ada Lovelace' });
    const spans = await spansWhenDone(2);
    expect(tree(spans)).toBe(['shop.Users/GetUser CLIENT OK', '  shop.Users/GetUser SERVER OK'].join('\n'));
    const client = only(spans, 'shop.Users/GetUser', SpanKind.CLIENT);
    expect(client.attributes).toMatchObject({ 'rpc.system.name': 'grpc', 'rpc.method': 'shop.Users/GetUser', 'server.address': '127.0.0.1', 'network.peer.address': '127.0.0.1' });
    const server = only(spans, 'shop.Users/GetUser', SpanKind.SERVER);
    expect(server.attributes['rpc.request.metadata.x-caller']).toEqual(withMetadata ? ['calls.ts'] : undefined);
  });

  it('a failing unary call: the error status on the CLIENT span, the same error to the caller', async () => {
    await expect(calls.fetchUser(app.plainUsers, 'nobody', false)).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: 'no user nobody' });
    expect(tree(await spansWhenDone(2))).toBe(['shop.Users/GetUser CLIENT NOT_FOUND !', '  shop.Users/GetUser SERVER NOT_FOUND'].join('\n'));
  });

  it('server streaming, with an event per message received', async () => {
    expect(await calls.streamUsers(app.plainUsers, 3)).toEqual(['u0', 'u1', 'u2']);
    const client = only(await spansWhenDone(2), 'shop.Users/ListUsers', SpanKind.CLIENT);
    expect(client.attributes['rpc.status_code']).toBe('OK');
    expect(messageEvents(client)).toEqual(['SENT#1', 'RECEIVED#1', 'RECEIVED#2', 'RECEIVED#3']);
  });

  it('client streaming, with metadata= and message events on both sides', async () => {
    expect(await calls.uploadAll(app.plainOrders, ['a', 'b', 'c'], 'acme')).toBe(3);
    const spans = await spansWhenDone(2);
    expect(tree(spans)).toBe(['shop.Orders/UploadItems CLIENT OK', '  shop.Orders/UploadItems SERVER OK'].join('\n'));
    const client = only(spans, 'shop.Orders/UploadItems', SpanKind.CLIENT);
    const server = only(spans, 'shop.Orders/UploadItems', SpanKind.SERVER);
    expect(client.attributes['rpc.request.metadata.x-tenant']).toEqual(['acme']);
    expect(messageEvents(client)).toEqual(['SENT#1', 'SENT#2', 'SENT#3', 'RECEIVED#1']);
    expect(messageEvents(server)).toEqual(['RECEIVED#1', 'RECEIVED#2', 'RECEIVED#3', 'SENT#1']);
  });

  it('bidi streaming read with for await', async () => {
    expect(await calls.trackAll(app.plainOrders, ['o1', 'o2'])).toEqual(['o1:shipped', 'o2:shipped']);
    const spans = await spansWhenDone(2);
    expect(tree(spans)).toBe(['shop.Orders/Track CLIENT OK', '  shop.Orders/Track SERVER OK'].join('\n'));
    const client = only(spans, 'shop.Orders/Track', SpanKind.CLIENT);
    expect(messageEvents(client).sort()).toEqual(['RECEIVED#1', 'RECEIVED#2', 'SENT#1', 'SENT#2']);
  });

  it('a transpile-only build (no type checker) warns on each such function instead of tracing nothing silently', () => {
    const warnings = compileWithTranspileModule(join(fixturesDir, 'grpc')).output.split('\n').filter((line) => line.includes('TS95005'));
    expect(warnings).toHaveLength(4);
    for (const warning of warnings) expect(warning).toMatch(/calls\.ts\(\d+,\d+\): warning TS95005: .*no type information.*Tag the client construction instead/);
  });

  it('calls outside the tagged functions stay untraced', async () => {
    const [error] = await unary(app.plainUsers, 'getUser', { id: 'ada' });
    expect(error).toBeNull();
    const spans = await spansWhenDone(1);
    expect(spans.map((span) => `${span.name} ${kindName(span)}`)).toEqual(['shop.Users/GetUser SERVER']);
  });
});

describe('OTEL_SEMCONV_STABILITY_OPT_IN', () => {
  const attributesWith = (optIn: string | undefined): Record<'client' | 'server', Record<string, unknown>> => {
    const env = { ...process.env, OTEL_SEMCONV_STABILITY_OPT_IN: optIn };
    if (optIn === undefined) delete env.OTEL_SEMCONV_STABILITY_OPT_IN;
    const output = execFileSync(process.execPath, [join(import.meta.dirname, 'helpers/grpc-dup.cjs'), join(fixturesDir, 'grpc/out-test')], { encoding: 'utf8', env });
    return JSON.parse(output) as Record<'client' | 'server', Record<string, unknown>>;
  };

  it('rpc/dup adds the older attributes beside the current ones', () => {
    const { client, server } = attributesWith('http,rpc/dup');
    for (const span of [client, server]) {
      expect(span).toMatchObject({ 'rpc.system.name': 'grpc', 'rpc.method': 'shop.Users/GetUser', 'rpc.status_code': 'NOT_FOUND', 'rpc.system': 'grpc', 'rpc.service': 'shop.Users', 'rpc.grpc.status_code': 5 });
    }
  });

  it('without it, only the current attributes', () => {
    const { client, server } = attributesWith(undefined);
    for (const span of [client, server]) {
      expect(span['rpc.status_code']).toBe('NOT_FOUND');
      expect(Object.keys(span).filter((key) => ['rpc.system', 'rpc.service', 'rpc.grpc.status_code'].includes(key))).toEqual([]);
    }
  });
});
