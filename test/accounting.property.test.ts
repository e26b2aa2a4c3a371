/**
 * Span accounting under faults, randomized: random batches of calls, run concurrently, through
 * fixtures/grpc (a handler that throws, NOT_FOUND, a server stream that errors halfway, a client
 * stream the handler rejects, a deadline that passes while the handler still works, a client that
 * cancels a server stream or a bidi stream, a server shut down mid-call, a handler that answers
 * twice) and fixtures/hops (HTTP servers of both styles behind
 * fetch and http.request clients, an order refused deep in the chain, a client that drops the
 * connection mid-request, a request that is not HTTP, consumers of single messages and of
 * batches with random context), all compiled with tspc. After each batch: every span started has ended, none
 * was ended twice (the SDK would warn), the active context is the one from before, no promise
 * rejection went unhandled, and the calls left no listeners behind on the process.
 * SPANWEAVE_PROPERTY_RUNS / 10 batches (default 100).
 */
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type * as Grpc from '@grpc/grpc-js';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import { compileWithTspc } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';
import { api, installSdk, type TestSdk } from './helpers/sdk.js';
import type * as AppModule from '../fixtures/grpc/src/app.js';
import type * as ScenariosModule from '../fixtures/grpc/src/scenarios.js';
import type * as GatewayModule from '../fixtures/grpc/src/gateway.js';
import type * as UsersModule from '../fixtures/grpc/src/users.js';
import type * as HopsModule from '../fixtures/hops/src/app.js';
import type * as EdgeModule from '../fixtures/hops/src/edge.js';
import type * as WorkerModule from '../fixtures/hops/src/worker.js';
import { connect } from 'node:net';
import * as http from 'node:http';

const grpc = createRequire(import.meta.url)('@grpc/grpc-js') as typeof Grpc;
const BATCHES = Math.ceil(Number(process.env.SPANWEAVE_PROPERTY_RUNS ?? 1000) / 10);

/** Counts what the SDK starts and ends, by span. */
class Accounting implements SdkTraceBase.SpanProcessor {
  readonly open = new Set<unknown>();
  started = 0;
  onStart(span: unknown): void {
    this.started++;
    this.open.add(span);
  }
  onEnd(span: unknown): void {
    this.open.delete(span);
  }
  forceFlush = async (): Promise<void> => undefined;
  shutdown = async (): Promise<void> => undefined;
}

let sdk: TestSdk;
let app: AppModule.App;
let hops: HopsModule.Hops;
let scenarios: Record<string, (app: AppModule.App) => Promise<unknown>>;
const accounting = new Accounting();
const warnings: string[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

/** Cancels a stream after its first message, as a client that has seen enough does. */
function cancelAfterFirst(stream: Grpc.ClientReadableStream<unknown> | Grpc.ClientDuplexStream<unknown, unknown>): Promise<void> {
  return new Promise((resolve) => {
    stream.on('error', () => resolve()); // CANCELLED
    stream.once('data', () => stream.cancel());
  });
}

beforeAll(async () => {
  const build = compileWithTspc(join(fixturesDir, 'grpc'), [], join(fixturesDir, 'grpc/out-accounting'));
  expect(build.output).toBe('');
  sdk = installSdk([accounting]);
  api.diag.setLogger({ error: (m) => warnings.push(m), warn: (m) => warnings.push(m), info: () => undefined, debug: () => undefined, verbose: () => undefined }, api.DiagLogLevel.WARN);
  app = await build.load<typeof AppModule>('app').startApp();
  const hopsBuild = compileWithTspc(join(fixturesDir, 'hops'), [], join(fixturesDir, 'hops/out-accounting'));
  expect(hopsBuild.output).toBe('');
  hops = await hopsBuild.load<typeof HopsModule>('app').startHops();
  const edge = hopsBuild.load<typeof EdgeModule>('edge');
  const worker = hopsBuild.load<typeof WorkerModule>('worker');
  const gateway = build.load<typeof GatewayModule>('gateway');
  const usersModule = build.load<typeof UsersModule>('users');
  /** A call to a Users server of its own, which `fault` may disturb while the call runs. */
  const againstOwnServer = async (start: () => ReturnType<typeof usersModule.startUsers>, id: string, fault: (server: Grpc.Server) => void) => {
    const { server, address } = await start();
    const clients = gateway.connect({ users: address, orders: address });
    const call = gateway.getUser(clients, id).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    fault(server);
    await call;
    clients.users.close();
    clients.orders.close();
    server.forceShutdown();
  };
  const message = (traceparent: string) => ({ body: JSON.stringify({ item: 'pen' }), headers: { traceparent } });
  scenarios = {
    ...build.load<typeof ScenariosModule>('scenarios').scenarios,
    'an order at the fetch-style edge (public), through fetch, HTTP, gRPC and the queue': () => hops.edge(new Request('http://edge/buy?item=pen')).then((response) => response.text()),
    'an order refused deep in the chain (409)': () => hops.edge(new Request('http://edge/buy?item=lamp')).then((response) => response.text()),
    'an order through http.request': () => edge.orderWithRequest(hops.web, 'pen'),
    'a client that drops the connection mid-request': () =>
      new Promise<void>((resolve) => {
        const request = http.request(`${hops.web}/orders/pen`, { method: 'POST' });
        request.on('error', () => resolve()).on('close', () => resolve());
        request.end(() => setImmediate(() => request.destroy()));
      }),
    'a request that is not HTTP': () =>
      new Promise<void>((resolve) => {
        const socket = connect(Number(new URL(hops.web).port), '127.0.0.1', () => socket.end('GARBAGE\r\n\r\n'));
        socket.on('close', () => resolve()).on('error', () => resolve()).resume();
      }),
    'a consumer of one message': () => worker.ship(message(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`)),
    'a consumer of a batch with broken context': () => Promise.resolve(worker.audit([message('garbage'), message(`00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`)])),
    'a client that cancels a server stream': () => cancelAfterFirst(app.clients.users.listUsers({ count: -1 })),
    'a server shut down mid-call': () => againstOwnServer(usersModule.startUsers, 'slow', (server) => server.forceShutdown()),
    'a handler that answers twice': () => againstOwnServer(usersModule.startDoubleAnswerUsers, 'ada', () => undefined),
    'a client that cancels a bidi stream': () => {
      const stream = app.clients.orders.track();
      stream.write({ orderId: 'o1' });
      return cancelAfterFirst(stream);
    },
  };
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await app?.close();
  await hops?.close();
  api.diag.disable();
  sdk?.uninstall();
});

it(`every span ends exactly once, whatever mix of gRPC, HTTP and queue calls and faults runs at once (${BATCHES} random batches)`, async () => {
  const names = Object.keys(scenarios);
  expect(names.length).toBeGreaterThanOrEqual(19);
  const processListeners = () => process.eventNames().map((event) => `${String(event)}:${process.listenerCount(event)}`).join(',');
  const listenersBefore = processListeners();
  const startedBefore = accounting.started;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 8 }), async (batch) => {
      accounting.open.clear(); // a span an earlier (failed) case left open is that case's fault
      const before = api.context.active();
      await Promise.all(batch.map((name) => scenarios[name]!(app)));
      expect(api.context.active()).toBe(before);
      // Server spans may end just after the client has its answer; a late handler (the deadline case) even later.
      await vi.waitFor(() => expect(accounting.open.size).toBe(0), { timeout: 3000, interval: 10 });
      expect(warnings).toEqual([]);
      expect(unhandled).toEqual([]);
      expect(processListeners()).toBe(listenersBefore);
    }),
    { numRuns: BATCHES },
  );
  expect(accounting.started - startedBefore).toBeGreaterThan(BATCHES); // spans were made: the traced path ran
}, 300_000);
