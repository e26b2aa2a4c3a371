/**
 * fixtures/stacks: one Echo service served and called by four gRPC stacks (grpc-js, Connect,
 * nice-grpc, NestJS), tags only, compiled through one compiler path and run for real on 127.0.0.1
 * with a real SDK. Every stack must give the spans the grpc-js path gives for the same calls.
 * test/stacks.test.ts runs it for tspc, test/stacks-woven.test.ts for the text-edit core.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Grpc from '@grpc/grpc-js';
import type { Interceptor } from '@connectrpc/connect';
import { compileWith, type CompilePath } from '../helpers/compile.js';
import { fixturesDir } from '../helpers/paths.js';
import { finishedTree } from '../helpers/trees.js';
import { api, installSdk, type FinishedSpan, type TestSdk } from '../helpers/sdk.js';
import type { Driver } from '../../fixtures/stacks/src/behaviour.js';

const grpc = createRequire(import.meta.url)('@grpc/grpc-js') as typeof Grpc;
const { SpanKind, SpanStatusCode } = api;
const STACKS = ['grpc-js', 'connect', 'nice-grpc', 'nestjs'] as const;
type Stack = (typeof STACKS)[number];

interface Server {
  readonly address: string;
  close(): Promise<void>;
}

// What the fixture's modules export, typed here so that this file's type check leaves the fixture
// (Nest's decorators, its own compiler options) to the fixture's tsconfig.
interface StackModule {
  startServer(implementation?: object): Promise<Server>;
  driver(address: string): Driver;
}
type UnaryCall = (request: object, metadata: Grpc.Metadata, callback: (error: Error | null, reply?: { text: string }) => void) => void;
interface Modules {
  'grpc-js': StackModule & { plainClient(address: string): Grpc.Client & { say: UnaryCall }; closeClients(): void };
  connect: StackModule & {
    startServer(implementation?: object): Promise<Server & { http1Address: string }>;
    driver(address: string, protocol?: 'connect' | 'grpc' | 'grpc-web', httpVersion?: '1.1' | '2', options?: { interceptors?: Interceptor[] }): Driver;
    say(address: string, request: { text: string; next: string[] }): Promise<string>;
    PublicConnectEcho: new () => object;
    PlainStreamConnectEcho: new () => object;
  };
  'nice-grpc': StackModule & { publicNiceEcho: object };
  nestjs: StackModule & { NestEcho: Function; Prefixer: Function };
}
interface NiceCorners {
  serveLater(shape: 'object' | 'class'): Promise<Server>;
  unplacedEcho: object;
}

export function stacksSuite(path: CompilePath): void {
  let sdk: TestSdk;
  let modules: Modules;
  let niceCorners: NiceCorners;
  const servers = new Map<Stack, Server>();
  const drivers = new Map<Stack, Driver>();

  beforeAll(async () => {
    // Built beside proto/, which grpc-js and NestJS load at run time.
    const build = compileWith(path, join(fixturesDir, 'stacks'), join(fixturesDir, `stacks/out-${path.replace(' ', '-')}`));
    expect(build.output).toBe('');
    sdk = installSdk();
    modules = { 'grpc-js': build.load('grpc-js'), connect: build.load('connect'), 'nice-grpc': build.load('nice'), nestjs: build.load('nest') };
    niceCorners = { ...build.load<Pick<NiceCorners, 'serveLater'>>('nice-shapes'), ...build.load<Pick<NiceCorners, 'unplacedEcho'>>('nice-unplaced') };
    for (const stack of STACKS) {
      const server = await modules[stack].startServer();
      servers.set(stack, server);
      drivers.set(stack, modules[stack].driver(server.address));
    }
  }, 60_000);
  beforeEach(() => sdk.reset());
  afterAll(async () => {
    for (const driver of drivers.values()) driver.close();
    modules?.['grpc-js'].closeClients();
    for (const server of servers.values()) await server.close();
    sdk?.uninstall();
  });

  /** Waits for `count` finished spans: a server span may end just after the client saw its status. */
  async function spansWhenDone(count: number): Promise<FinishedSpan[]> {
    await vi.waitFor(() => expect(sdk.spans().length).toBeGreaterThanOrEqual(count), { timeout: 5000, interval: 5 });
    return sdk.spans();
  }

  /** The spans as a tree of `name KIND status[ !]`, children indented under their parent. */
  const tree = (spans: readonly FinishedSpan[]): string =>
    finishedTree(spans, (span) => `${span.name} ${SpanKind[span.kind]} ${span.attributes['rpc.status_code']}${span.status.code === SpanStatusCode.ERROR ? ' !' : ''}`);

  const pair = (method: string, client: string, server: string): string => `stacks.Echo/${method} CLIENT ${client}\n  stacks.Echo/${method} SERVER ${server}`;
  const driver = (stack: Stack): Driver => drivers.get(stack)!;
  const only = (spans: readonly FinishedSpan[], kind: number): FinishedSpan => {
    const found = spans.filter((s) => s.kind === kind);
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  describe.each(STACKS)('%s: its client calling its server', (stack) => {
    const system = stack === 'connect' ? 'connectrpc' : 'grpc';

    it('unary: a CLIENT span, the parent of the SERVER span, in one trace, with the RPC attributes', async () => {
      expect(await driver(stack).say({ text: 'hi' }, { metadata: { 'x-tenant': 'acme', 'x-secret': 'no' } })).toMatch(/hi/);
      const spans = await spansWhenDone(2);
      expect(tree(spans)).toBe(pair('Say', 'OK', 'OK'));
      expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
      for (const span of spans) {
        expect(span.attributes).toMatchObject({ 'rpc.system.name': system, 'rpc.method': 'stacks.Echo/Say', 'rpc.status_code': 'OK', 'rpc.request.metadata.x-tenant': ['acme'] });
        expect(Object.keys(span.attributes).filter((key) => key.includes('x-secret'))).toEqual([]);
      }
      // A Connect client made from a transport it was handed cannot tell the server (see the transport's tag below).
      if (stack === 'connect') return;
      const client = only(spans, SpanKind.CLIENT);
      expect(client.attributes['server.address']).toBe('127.0.0.1');
      expect(client.attributes['server.port']).toBe(Number(servers.get(stack)!.address.split(':')[1]));
    });

    it('server streaming, client streaming and bidi: one pair each, OK', async () => {
      expect(await driver(stack).count({ count: 3 })).toHaveLength(3);
      expect(tree(await spansWhenDone(2))).toBe(pair('Count', 'OK', 'OK'));
      sdk.reset();
      expect(await driver(stack).collect(['a', 'b'])).toMatch(/a,b/);
      expect(tree(await spansWhenDone(2))).toBe(pair('Collect', 'OK', 'OK'));
      sdk.reset();
      expect(await driver(stack).chat(['a', 'b'])).toHaveLength(2);
      expect(tree(await spansWhenDone(2))).toBe(pair('Chat', 'OK', 'OK'));
    });

    it('NOT_FOUND: an error on the client span only; INTERNAL: on both', async () => {
      await expect(driver(stack).say({ text: 'x', fail: 'NOT_FOUND' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
      const spans = await spansWhenDone(2);
      expect(tree(spans)).toBe(pair('Say', 'NOT_FOUND !', 'NOT_FOUND'));
      expect(only(spans, SpanKind.CLIENT).attributes['error.type']).toBe('NOT_FOUND');
      expect(only(spans, SpanKind.SERVER).attributes['error.type']).toBeUndefined();
      sdk.reset();
      await expect(driver(stack).say({ text: 'x', fail: 'INTERNAL' })).rejects.toMatchObject({ code: grpc.status.INTERNAL });
      const internal = await spansWhenDone(2);
      expect(tree(internal)).toBe(pair('Say', 'INTERNAL !', 'INTERNAL !'));
      expect(only(internal, SpanKind.SERVER).status.message).toBe('failed with INTERNAL');
    });

    it('a handler that throws a plain Error: the status the stack answers it with, the exception recorded on the server span', async () => {
      // Connect answers any error that is not a ConnectError with INTERNAL; the others with UNKNOWN.
      const code = stack === 'connect' ? 'INTERNAL' : 'UNKNOWN';
      await expect(driver(stack).say({ text: 'x', fail: 'THROW' })).rejects.toMatchObject({ code: grpc.status[code] });
      const spans = await spansWhenDone(2);
      expect(tree(spans)).toBe(pair('Say', `${code} !`, `${code} !`));
      expect(only(spans, SpanKind.SERVER).events.filter((e) => e.name === 'exception').map((e) => e.attributes?.['exception.message'])).toEqual(['plain failure']);
    });

    it('a server stream that fails after two messages, and a client stream the handler rejects', async () => {
      await expect(driver(stack).count({ count: 2, fail: 'INTERNAL' })).rejects.toMatchObject({ code: grpc.status.INTERNAL });
      expect(tree(await spansWhenDone(2))).toBe(pair('Count', 'INTERNAL !', 'INTERNAL !'));
      sdk.reset();
      await expect(driver(stack).collect(['a', 'fail:PERMISSION_DENIED'])).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
      expect(tree(await spansWhenDone(2))).toBe(pair('Collect', 'PERMISSION_DENIED !', 'PERMISSION_DENIED'));
    });

    it('deadline exceeded: both spans end, each an error', async () => {
      // A budget the call needs to reach its handler on a busy machine: with 50 ms the deadline could
      // pass first, and then no handler runs and there is no SERVER span.
      await expect(driver(stack).say({ text: 'slow', delayMs: 3000 }, { timeoutMs: 500 })).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
      // nice-grpc's handler context tells a cancel, not its cause: grpc-js keeps the deadline from it.
      const server = stack === 'nice-grpc' ? 'CANCELLED' : 'DEADLINE_EXCEEDED !';
      expect(tree(await spansWhenDone(2))).toBe(pair('Say', 'DEADLINE_EXCEEDED !', server));
    });

    it('a client that stops reading a server stream: CANCELLED, an error only for the client', async () => {
      const abort = new AbortController();
      const reading = driver(stack).count({ count: 50, delayMs: 20 }, { signal: abort.signal });
      setTimeout(() => abort.abort(), 60); // a few messages in
      await reading.catch(() => undefined);
      expect(tree(await spansWhenDone(2))).toBe(pair('Count', 'CANCELLED !', 'CANCELLED'));
    });
  });

  describe.each(STACKS)('%s: its server, called by a plain client', (stack) => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';

    function callWith(traceparent: string): Promise<[Error | null, { text: string } | undefined]> {
      const client = modules['grpc-js'].plainClient(servers.get(stack)!.address);
      const metadata = new grpc.Metadata();
      metadata.set('traceparent', traceparent);
      return new Promise((resolve) =>
        client.say({ text: 'plain' }, metadata, (error: Error | null, reply?: { text: string }) => {
          client.close();
          resolve([error, reply]);
        }),
      );
    }

    it('continues the trace of a hand-set traceparent', async () => {
      const [error] = await callWith(`00-${traceId}-${parentId}-01`);
      expect(error).toBeNull();
      const server = only(await spansWhenDone(1), SpanKind.SERVER);
      expect(server.spanContext().traceId).toBe(traceId);
      expect(server.parentSpanContext).toMatchObject({ spanId: parentId, isRemote: true });
    });

    it.each([['garbage'], [`00-${traceId}-${parentId}`], [`ff-${traceId}-${parentId}-01`], ['x'.repeat(8_000)]])('a malformed traceparent %#: the handler answers and a new trace starts', async (traceparent) => {
      const [error, reply] = await callWith(traceparent);
      expect(error).toBeNull();
      expect(reply?.text).toMatch(/plain/);
      const server = only(await spansWhenDone(1), SpanKind.SERVER);
      expect(server.parentSpanContext).toBeUndefined();
      expect(server.spanContext().traceId).not.toBe(traceId);
    });
  });

  describe('public: an untrusted caller starts a new trace, linked to its context', () => {
    it.each(['connect', 'nice-grpc'] as const)('%s', async (stack) => {
      const server = stack === 'connect' ? await modules.connect.startServer(new modules.connect.PublicConnectEcho()) : await modules['nice-grpc'].startServer(modules['nice-grpc'].publicNiceEcho);
      const client = modules['grpc-js'].plainClient(server.address);
      try {
        const metadata = new grpc.Metadata();
        metadata.set('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
        await new Promise((resolve, reject) => client.say({ text: 'x' }, metadata, (error: Error | null) => (error ? reject(error) : resolve(undefined))));
        const span = only(await spansWhenDone(1), SpanKind.SERVER);
        expect(span.parentSpanContext).toBeUndefined();
        expect(span.links.map((link) => link.context.spanId)).toEqual(['00f067aa0ba902b7']);
      } finally {
        client.close();
        await server.close();
      }
    });
  });

  describe('Connect over each protocol it serves', () => {
    it.each([
      ['connect', '1.1'],
      ['connect', '2'],
      ['grpc-web', '1.1'],
      ['grpc-web', '2'],
      ['grpc', '2'],
    ] as const)('%s over HTTP/%s: unary and server streaming, the same spans', async (protocol, httpVersion) => {
      const connect = servers.get('connect') as Server & { http1Address: string };
      const client = modules.connect.driver(httpVersion === '1.1' ? connect.http1Address : connect.address, protocol, httpVersion);
      expect(await client.say({ text: 'hi' })).toBe('connect(hi)');
      expect(tree(await spansWhenDone(2))).toBe(pair('Say', 'OK', 'OK'));
      sdk.reset();
      await expect(client.count({ count: 2, fail: 'NOT_FOUND' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
      expect(tree(await spansWhenDone(2))).toBe(pair('Count', 'NOT_FOUND !', 'NOT_FOUND'));
    });

  });

  describe('Connect: a deadline that reaches the server as the client\'s reset, before the server\'s own timer (a busy server)', () => {
    it('is DEADLINE_EXCEEDED on both spans, not the INTERNAL of the reset', async () => {
      // The server learns a budget of 2 s while the client's is 50 ms: the order that load makes likely, made certain.
      const lateServerClock: Interceptor = (next) => (request) => (request.header.set('grpc-timeout', '2000m'), next(request));
      const client = modules.connect.driver(servers.get('connect')!.address, 'grpc', '2', { interceptors: [lateServerClock] });
      await expect(client.say({ text: 'slow', delayMs: 400 }, { timeoutMs: 50 })).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
      expect(tree(await spansWhenDone(2))).toBe(pair('Say', 'DEADLINE_EXCEEDED !', 'DEADLINE_EXCEEDED !'));
    });
  });

  describe('messages: an rpc.message event per message, numbered per direction', () => {
    const messageEvents = (span: FinishedSpan): string[] => span.events.filter((e) => e.name === 'rpc.message').map((e) => `${e.attributes?.['rpc.message.type']} ${e.attributes?.['rpc.message.id']}`);
    const calls = (stack: Stack): Record<'say' | 'count' | 'collect' | 'chat', () => Promise<unknown>> => ({
      say: () => driver(stack).say({ text: 'a' }),
      count: () => driver(stack).count({ count: 2 }),
      collect: () => driver(stack).collect(['a', 'b']),
      chat: () => driver(stack).chat(['a', 'b']),
    });
    /** Makes one call of `stack` and checks the message events of its span of `kind`. */
    const eventsOf =
      (stack: Stack, kind: number) =>
      async (method: keyof ReturnType<typeof calls>, expected: readonly string[]): Promise<void> => {
        await calls(stack)[method]();
        expect(messageEvents(only(await spansWhenDone(2), kind))).toEqual(expected);
      };

    // The Connect client's tag has `messages`, and so have the nice-grpc and NestJS servers'.
    it.each([
      ['say', ['SENT 1', 'RECEIVED 1']],
      ['count', ['SENT 1', 'RECEIVED 1', 'RECEIVED 2']],
      ['collect', ['SENT 1', 'SENT 2', 'RECEIVED 1']],
      ['chat', ['SENT 1', 'SENT 2', 'RECEIVED 1', 'RECEIVED 2']],
    ] as const)('a Connect client, %s', eventsOf('connect', SpanKind.CLIENT));

    it.each([
      ['say', ['RECEIVED 1', 'SENT 1']],
      ['count', ['RECEIVED 1', 'SENT 1', 'SENT 2']],
      ['collect', ['RECEIVED 1', 'RECEIVED 2', 'SENT 1']],
      ['chat', ['RECEIVED 1', 'SENT 1', 'RECEIVED 2', 'SENT 2']],
    ] as const)('a nice-grpc server, %s', eventsOf('nice-grpc', SpanKind.SERVER));

    // Nest writes a stream's messages through grpc-js, where they are counted, and returns a unary one.
    it.each([
      ['say', ['RECEIVED 1', 'SENT 1']],
      ['count', ['RECEIVED 1', 'SENT 1', 'SENT 2']],
    ] as const)('a NestJS server, %s: each message once', eventsOf('nestjs', SpanKind.SERVER));
  });

  describe('Connect: a tag on the transport construction', () => {
    it('traces every client made with that transport, with the server address', async () => {
      const { address } = servers.get('connect')!;
      expect(await modules.connect.say(address, { text: 'hi', next: [] })).toBe('connect(hi)');
      const client = only(await spansWhenDone(2), SpanKind.CLIENT);
      expect(client.attributes).toMatchObject({ 'rpc.system.name': 'connectrpc', 'rpc.method': 'stacks.Echo/Say', 'server.address': '127.0.0.1', 'server.port': Number(address.split(':')[1]) });
    });
  });

  describe.each(['connect', 'nice-grpc'] as const)('%s: a streaming handler written as an async generator', (stack) => {
    it('is the active span between its yields: a call made there is its child', async () => {
      const next = [`grpc-js@${servers.get('grpc-js')!.address}`];
      expect(await driver(stack).count({ count: 2, next })).toEqual([`${stack} grpc-js(0)`, `${stack} grpc-js(1)`]);
      const hop = ['    stacks.Echo/Say CLIENT OK', '      stacks.Echo/Say SERVER OK'];
      expect(tree(await spansWhenDone(6))).toBe([pair('Count', 'OK', 'OK'), ...hop, ...hop].join('\n'));
    });
  });

  describe('across the stacks', () => {
    it('Connect -> nice-grpc -> NestJS -> grpc-js: one trace, every CLIENT span the parent of its SERVER span', async () => {
      const next = (['nice-grpc', 'nestjs', 'grpc-js'] as const).map((stack) => `${stack}@${servers.get(stack)!.address}`);
      expect(await driver('connect').say({ text: 'chain', next })).toBe('connect(nice-grpc(nestjs(grpc-js(chain))))');
      const spans = await spansWhenDone(8);
      expect(tree(spans)).toBe(
        [
          'stacks.Echo/Say CLIENT OK',
          '  stacks.Echo/Say SERVER OK',
          '    stacks.Echo/Say CLIENT OK',
          '      stacks.Echo/Say SERVER OK',
          '        stacks.Echo/Say CLIENT OK',
          '          stacks.Echo/Say SERVER OK',
          '            stacks.Echo/Say CLIENT OK',
          '              stacks.Echo/Say SERVER OK',
        ].join('\n'),
      );
      expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
      expect(spans.map((s) => s.attributes['rpc.system.name'])).toEqual(['grpc', 'grpc', 'grpc', 'grpc', 'grpc', 'grpc', 'connectrpc', 'connectrpc']);
    });
  });

  describe('a handler called with arguments of no stack spanweave knows', () => {
    it('runs untraced, after one process warning for that handler', async () => {
      const warnings: string[] = [];
      const listen = (warning: Error & { code?: string }) => warning.code === 'SPANWEAVE_UNTRACED_HANDLER' && warnings.push(warning.message);
      process.on('warning', listen);
      try {
        const { say } = modules['nice-grpc'].publicNiceEcho as { say(request: { text: string }): Promise<{ text: string }> };
        expect(await say({ text: 'direct' })).toEqual({ text: 'nice-grpc(direct)' });
        expect(await say({ text: 'again' })).toEqual({ text: 'nice-grpc(again)' });
        await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      } finally {
        process.off('warning', listen);
      }
      expect(sdk.spans()).toEqual([]);
      expect(warnings).toEqual([expect.stringContaining('handler publicNiceEcho.say was called with arguments of no gRPC stack spanweave knows')]);
    });
  });

  describe('nice-grpc: an implementation with no type', () => {
    it.each([
      ['an object', 'object'],
      ['a class', 'class'],
    ] as const)('%s given to server.add later in its file: its spans name the method', async (_, shape) => {
      const server = await niceCorners.serveLater(shape);
      const client = modules['nice-grpc'].driver(server.address);
      try {
        expect(await client.say({ text: 'x' })).toBe(shape === 'object' ? 'later(x)' : 'later class(x)');
        const span = only(await spansWhenDone(2), SpanKind.SERVER);
        expect(span.name).toBe('stacks.Echo/Say');
        expect(span.attributes['rpc.method']).toBe('stacks.Echo/Say');
      } finally {
        client.close();
        await server.close();
      }
    });

    it('one served from another file, which names no definition: spans say the method is unknown, after one process warning naming the fix', async () => {
      const warnings: string[] = [];
      const listen = (warning: Error & { code?: string }) => warning.code === 'SPANWEAVE_UNKNOWN_METHOD' && warnings.push(warning.message);
      process.on('warning', listen);
      const server = await modules['nice-grpc'].startServer(niceCorners.unplacedEcho);
      const client = modules['nice-grpc'].driver(server.address);
      try {
        expect(await client.say({ text: 'a' })).toBe('unplaced(a)');
        expect(await client.say({ text: 'b' })).toBe('unplaced(b)');
        const servers = (await spansWhenDone(4)).filter((span) => span.kind === SpanKind.SERVER);
        expect(servers.map((span) => [span.name, span.attributes['rpc.method'], span.attributes['code.function.name']])).toEqual([
          ['grpc', '_OTHER', 'unplacedEcho.say'],
          ['grpc', '_OTHER', 'unplacedEcho.say'],
        ]);
        await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      } finally {
        process.off('warning', listen);
        client.close();
        await server.close();
      }
      expect(warnings).toEqual([expect.stringMatching(/handler unplacedEcho\.say has no method name.*server\.add\(XDefinition, impl\) in the file that declares it/)]);
    });
  });

  describe('Connect: server streaming written as a plain function returning an AsyncIterable', () => {
    it('keeps its span until the stream ends, with the status the stream ends with', async () => {
      const server = await modules.connect.startServer(new modules.connect.PlainStreamConnectEcho());
      try {
        const client = modules.connect.driver(server.address);
        expect(await client.count({ count: 2 })).toEqual(['connect 0', 'connect 1']);
        expect(tree(await spansWhenDone(2))).toBe(pair('Count', 'OK', 'OK'));
        sdk.reset();
        await expect(client.count({ count: 2, fail: 'INTERNAL' })).rejects.toMatchObject({ code: grpc.status.INTERNAL });
        expect(tree(await spansWhenDone(2))).toBe(pair('Count', 'INTERNAL !', 'INTERNAL !'));
      } finally {
        await server.close();
      }
    });
  });

  describe('NestJS keeps working as written', () => {
    it('dependency injection and decorator metadata are unchanged on a traced controller', () => {
      const { NestEcho, Prefixer } = modules.nestjs;
      // reflect-metadata, which the fixture loads, adds getMetadata to Reflect.
      const { getMetadata } = Reflect as unknown as { getMetadata(key: string, target: object, property?: string): unknown };
      expect(getMetadata('design:paramtypes', NestEcho)).toEqual([Prefixer]);
      expect(getMetadata('design:paramtypes', NestEcho.prototype, 'say')).toEqual([Object, grpc.Metadata, Object]);
    });
  });
}
