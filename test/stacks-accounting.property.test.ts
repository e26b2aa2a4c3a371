/**
 * Span accounting under faults across the gRPC stacks, randomized: random batches of calls, run
 * concurrently, through fixtures/stacks's Echo service on Connect (gRPC protocol over HTTP/2,
 * Connect protocol over HTTP/1.1 and HTTP/2, gRPC-Web over HTTP/1.1), nice-grpc, NestJS and
 * grpc-js, each stack's client calling its own server, and a chain across all four: success, each
 * error kind (a status, a plain Error, a stream or Observable that errors after values, a client
 * stream the handler rejects), a deadline that passes while the handler still works, a client that
 * aborts a server stream mid-way (NestJS: unsubscribes), a handler that never answers (its promise
 * never settles, its callback is never called) until the client aborts or its deadline passes, and
 * a server shut down mid-call. The same calls run once on the untraced build
 * (plain tsc) first; their outcomes are what the traced build must give.
 *
 * After each batch: every span started has ended, none was ended twice (the SDK would warn), every
 * SERVER span is the child of a CLIENT span and every CLIENT span a root or a hop's, the
 * active context is the one from before, no promise rejection went unhandled, no listener was left
 * on the process, and every call's outcome (its value, or its error's gRPC code or name, and the
 * listeners left on the abort signal it was given) equals the untraced build's. SPANWEAVE_PROPERTY_RUNS / 10 batches (default 100).
 */
import fc from 'fast-check';
import { getEventListeners } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import { compileWithTsc, compileWithTspc, type Build } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';
import { api, installSdk, type TestSdk } from './helpers/sdk.js';
import type { CallOptions, Driver } from '../fixtures/stacks/src/behaviour.js';

/** fixtures/stacks/src/behaviour.ts's NEVER: a Say handler that never answers, whatever happens to the call. */
const NEVER = 'NEVER';

const BATCHES = Math.ceil(Number(process.env.SPANWEAVE_PROPERTY_RUNS ?? 1000) / 10);
const STACKS = ['grpc-js', 'connect', 'nice-grpc', 'nestjs'] as const;
type Stack = (typeof STACKS)[number];

/** Counts what the SDK starts and ends, by span, and keeps the spans ended since the last `clear`. */
class Accounting implements SdkTraceBase.SpanProcessor {
  readonly open = new Set<unknown>();
  readonly ended: SdkTraceBase.ReadableSpan[] = [];
  started = 0;
  onStart(span: unknown): void {
    this.started++;
    this.open.add(span);
  }
  onEnd(span: SdkTraceBase.ReadableSpan): void {
    this.open.delete(span);
    this.ended.push(span);
  }
  clear(): void {
    this.open.clear();
    this.ended.length = 0;
  }
  forceFlush = async (): Promise<void> => undefined;
  shutdown = async (): Promise<void> => undefined;
}

interface Server {
  readonly address: string;
  /** Connect's and NestJS's close end running calls; grpc-js's and nice-grpc's wait for them, their forceClose does not. */
  close(): Promise<void>;
  forceClose?(): Promise<void>;
}
// What the fixture's modules export, typed here so that this file's type check leaves the fixture to its own tsconfig.
interface StackModule {
  startServer(): Promise<Server>;
  driver(address: string): Driver;
}
interface Modules {
  'grpc-js': StackModule & { closeClients(): void };
  connect: StackModule & {
    startServer(): Promise<Server & { http1Address: string }>;
    driver(address: string, protocol: 'connect' | 'grpc' | 'grpc-web', httpVersion: '1.1' | '2'): Driver;
  };
  'nice-grpc': StackModule;
  nestjs: StackModule;
}

/** One build of fixtures/stacks, its four servers running, and a client of each (Connect: one per protocol). */
interface World {
  readonly modules: Modules;
  readonly servers: Map<Stack, Server>;
  readonly drivers: Map<string, { stack: Stack; driver: Driver }>;
}

async function startWorld(build: Build): Promise<World> {
  const modules: Modules = { 'grpc-js': build.load('grpc-js'), connect: build.load('connect'), 'nice-grpc': build.load('nice'), nestjs: build.load('nest') };
  const servers = new Map<Stack, Server>();
  for (const stack of STACKS) servers.set(stack, await modules[stack].startServer());
  const connect = servers.get('connect') as Server & { http1Address: string };
  const drivers = new Map<string, { stack: Stack; driver: Driver }>([
    ['grpc-js', { stack: 'grpc-js', driver: modules['grpc-js'].driver(servers.get('grpc-js')!.address) }],
    ['Connect gRPC h2', { stack: 'connect', driver: modules.connect.driver(connect.address, 'grpc', '2') }],
    ['Connect h1.1', { stack: 'connect', driver: modules.connect.driver(connect.http1Address, 'connect', '1.1') }],
    ['Connect h2', { stack: 'connect', driver: modules.connect.driver(connect.address, 'connect', '2') }],
    ['Connect gRPC-Web h1.1', { stack: 'connect', driver: modules.connect.driver(connect.http1Address, 'grpc-web', '1.1') }],
    ['nice-grpc', { stack: 'nice-grpc', driver: modules['nice-grpc'].driver(servers.get('nice-grpc')!.address) }],
    ['NestJS', { stack: 'nestjs', driver: modules.nestjs.driver(servers.get('nestjs')!.address) }],
  ]);
  return { modules, servers, drivers };
}

async function stopWorld(world: World | undefined): Promise<void> {
  if (world === undefined) return;
  for (const { driver } of world.drivers.values()) driver.close();
  world.modules['grpc-js'].closeClients();
  for (const server of world.servers.values()) await server.close();
}

/** The signals one run of a call gave its client: their listeners are counted when it ends. */
type Signals = AbortSignal[];

/** An abort signal that fires after `ms`: a client that gives up. */
function abortAfter(signals: Signals, ms: number): CallOptions {
  const abort = new AbortController();
  setTimeout(() => abort.abort(), ms);
  signals.push(abort.signal);
  return { signal: abort.signal };
}

/** A call through one driver of a world; what it resolves or rejects with is its outcome. */
type Call = (driver: Driver, world: World, stack: Stack, signals: Signals) => Promise<unknown>;
const calls: Record<string, Call> = {
  'say OK': (driver) => driver.say({ text: 'hi' }),
  'say NOT_FOUND': (driver) => driver.say({ text: 'hi', fail: 'NOT_FOUND' }),
  'say INTERNAL': (driver) => driver.say({ text: 'hi', fail: 'INTERNAL' }),
  'say, the handler throws a plain Error': (driver) => driver.say({ text: 'hi', fail: 'THROW' }),
  'server stream': (driver) => driver.count({ count: 3 }),
  'server stream (NestJS: an Observable) that errors after two values': (driver) => driver.count({ count: 2, fail: 'INTERNAL' }),
  'client stream': (driver) => driver.collect(['a', 'b']),
  'client stream the handler rejects': (driver) => driver.collect(['a', 'fail:PERMISSION_DENIED']),
  bidi: (driver) => driver.chat(['a', 'b']),
  'a deadline that passes while the handler works': (driver) => driver.say({ text: 'slow', delayMs: 300 }, { timeoutMs: 50 }),
  'a client that aborts a server stream mid-way (NestJS: unsubscribes)': (driver, _world, _stack, signals) => driver.count({ count: 50, delayMs: 20 }, abortAfter(signals, 60)),
  'a handler that never answers, the client gives up': (driver, _world, _stack, signals) => driver.say({ text: 'hang', fail: NEVER }, abortAfter(signals, 50)),
  'a handler that never answers, past the deadline': (driver) => driver.say({ text: 'hang', fail: NEVER }, { timeoutMs: 50 }),
  'a server shut down mid-call': async (_driver, world, stack) => {
    const server = await world.modules[stack].startServer();
    const driver = world.modules[stack].driver(server.address);
    try {
      const call = driver.say({ text: 'hang', fail: NEVER });
      call.catch(() => undefined); // its outcome is awaited below
      await new Promise((resolve) => setTimeout(resolve, 50));
      await (server.forceClose ?? server.close)();
      return await call;
    } finally {
      driver.close();
    }
  },
  'a chain Connect -> nice-grpc -> NestJS -> grpc-js': (driver, world) => {
    const next = (['nice-grpc', 'nestjs', 'grpc-js'] as const).map((stack) => `${stack}@${world.servers.get(stack)!.address}`);
    return driver.say({ text: 'chain', next });
  },
};

/** What a call ended with, comparable across builds: its value, or its error's gRPC code (or name, where it has none). */
function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    (value) => `resolved ${JSON.stringify(value)}`,
    (error: { code?: unknown; name?: unknown }) => `rejected ${typeof error?.code === 'number' ? `code ${error.code}` : String(error?.name)}`,
  );
}

/**
 * Two outcomes depend on timing, without spanweave too: a server shut down mid-call ends the call
 * with whatever the client library sees first as the connection drops (CANCELLED, UNAVAILABLE,
 * INTERNAL...), and a NestJS client that unsubscribes from a stream mid-way resolves with the
 * values that came before. For those only whether the call resolved or rejected is compared.
 */
const timingDependent = new Set(['a server shut down mid-call', 'a client that aborts a server stream mid-way (NestJS: unsubscribes)']);
const comparable = (name: string, result: string): string => (timingDependent.has(name) ? result.split(' ')[0]! : result);

/** Every call on every client: "<client>: <call>". */
function scenarioNames(world: World): string[] {
  return [...world.drivers.keys()].flatMap((client) => Object.keys(calls).filter((call) => !call.startsWith('a chain') || client === 'Connect gRPC h2').map((call) => `${client}: ${call}`));
}

/** A scenario's outcome, and how many listeners its client left on the signals it was given. */
async function run(world: World, scenario: string): Promise<string> {
  const at = scenario.indexOf(': ');
  const [client, call] = [scenario.slice(0, at), scenario.slice(at + 2)];
  const { stack, driver } = world.drivers.get(client)!;
  const signals: Signals = [];
  const result = comparable(call, await outcome(calls[call]!(driver, world, stack, signals)));
  return signals.length === 0 ? result : `${result}, abort listeners left ${signals.map((signal) => getEventListeners(signal, 'abort').length).join(',')}`;
}

/**
 * Spans whose parent is not what the calls make: a SERVER span must be the child of a CLIENT span
 * of the batch, in its trace; a CLIENT span a root (a call the test made) or the child of a SERVER
 * span (a hop of the chain). A context that leaked from one call into another breaks this.
 */
function misparented(spans: readonly SdkTraceBase.ReadableSpan[]): string[] {
  const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
  return spans.flatMap((span) => {
    const parent = span.parentSpanContext && byId.get(span.parentSpanContext.spanId);
    const parentKind = parent === undefined ? (span.parentSpanContext ? 'unknown' : 'none') : api.SpanKind[parent.kind];
    const allowed = span.kind === api.SpanKind.SERVER ? ['CLIENT'] : ['none', 'SERVER'];
    const sameTrace = parent === undefined || parent.spanContext().traceId === span.spanContext().traceId;
    return allowed.includes(parentKind) && sameTrace ? [] : [`${span.name} ${api.SpanKind[span.kind]} under ${parentKind}`];
  });
}

let sdk: TestSdk;
let traced: World;
let plain: World;
const accounting = new Accounting();
const warnings: string[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
/** Each scenario's outcome on the untraced build. */
const expected = new Map<string, string>();

beforeAll(async () => {
  // Both builds beside proto/, which grpc-js and NestJS load at run time.
  const tracedBuild = compileWithTspc(join(fixturesDir, 'stacks'), [], join(fixturesDir, 'stacks/out-accounting'));
  expect(tracedBuild.output).toBe('');
  const plainBuild = compileWithTsc(join(fixturesDir, 'stacks'), [], join(fixturesDir, 'stacks/out-accounting-plain'));
  expect(plainBuild.output).toBe('');
  sdk = installSdk([accounting]);
  api.diag.setLogger({ error: (m) => warnings.push(m), warn: (m) => warnings.push(m), info: () => undefined, debug: () => undefined, verbose: () => undefined }, api.DiagLogLevel.WARN);
  plain = await startWorld(plainBuild);
  traced = await startWorld(tracedBuild);
  const names = scenarioNames(plain);
  // Eight at a time, as the batches below run them.
  for (let i = 0; i < names.length; i += 8) {
    const chunk = names.slice(i, i + 8);
    const results = await Promise.all(chunk.map((name) => run(plain, name)));
    chunk.forEach((name, j) => expected.set(name, results[j]!));
  }
  expect(accounting.started).toBe(0); // the untraced build makes no span
  process.on('unhandledRejection', onUnhandled);
}, 240_000);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await stopWorld(traced);
  await stopWorld(plain);
  api.diag.disable();
  sdk?.uninstall();
});

it(`every span ends exactly once and every call ends as untraced, whatever mix of stacks, protocols and faults runs at once (${BATCHES} random batches)`, async () => {
  const names = scenarioNames(traced);
  expect(names.length).toBeGreaterThan(80);
  // The untraced build shows each fault for what it is (no scenario passes by accident).
  expect(expected.get('NestJS: a client that aborts a server stream mid-way (NestJS: unsubscribes)')).toBe('resolved, abort listeners left 0');
  expect(expected.get('Connect h2: a deadline that passes while the handler works')).toBe('rejected code 4');
  expect(expected.get('nice-grpc: a handler that never answers, the client gives up')).toBe('rejected code 20, abort listeners left 0'); // an AbortError
  expect(expected.get('NestJS: a handler that never answers, past the deadline')).toBe('rejected code 4');
  expect(expected.get('grpc-js: a server shut down mid-call')).toBe('rejected');
  const processListeners = () => process.eventNames().map((event) => `${String(event)}:${process.listenerCount(event)}`).join(',');
  const listenersBefore = processListeners();
  const startedBefore = accounting.started;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 8 }), async (batch) => {
      // What an earlier (failed) case left is that case's fault: each counterexample shows its own.
      await vi.waitFor(() => expect(accounting.open.size).toBe(0), { timeout: 5000, interval: 10 }).catch(() => undefined);
      accounting.clear();
      warnings.length = 0;
      unhandled.length = 0;
      const before = api.context.active();
      const results = await Promise.all(batch.map((name) => run(traced, name)));
      expect(api.context.active()).toBe(before);
      expect(Object.fromEntries(batch.map((name, i) => [name, results[i]]))).toEqual(Object.fromEntries(batch.map((name) => [name, expected.get(name)])));
      // Server spans may end just after the client has its answer; a late handler (the deadline case) even later.
      await vi.waitFor(() => expect(accounting.open.size).toBe(0), { timeout: 5000, interval: 10 });
      expect(misparented(accounting.ended)).toEqual([]);
      expect(warnings).toEqual([]);
      expect(unhandled).toEqual([]);
      expect(processListeners()).toBe(listenersBefore);
    }),
    { numRuns: BATCHES },
  );
  expect(accounting.started - startedBefore).toBeGreaterThan(BATCHES); // spans were made: the traced path ran
}, 400_000);
