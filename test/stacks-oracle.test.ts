/**
 * fixtures/stacks's scenarios, traced two ways on each of two stacks: compiled with spanweave (in
 * this process), and compiled with plain tsc under what traces that stack without spanweave (a
 * child process, test/helpers/stacks-oracle.cjs): nice-grpc under nice-grpc-opentelemetry's
 * middleware, NestJS under @opentelemetry/instrumentation-grpc (patching the grpc-js Nest runs
 * on). The span trees must match: names (after mapping the old `grpc.` prefix), kinds, parent
 * links, status codes, and which spans are errors, except for the documented differences below.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { compileWithTsc, compileWithTspc } from './helpers/compile.js';
import { runNodeAsync, type NodeRun } from './helpers/load-child.js';
import { fixturesDir } from './helpers/paths.js';
import { comparable, comparableTree, fromOracle, type Comparable } from './helpers/oracle.js';
import { api, installSdk, type TestSdk } from './helpers/sdk.js';
import type { Driver } from '../fixtures/stacks/src/behaviour.js';
import type * as ScenariosModule from '../fixtures/stacks/src/scenarios.js';

const STACKS = ['nice-grpc', 'nestjs'] as const;
type Stack = (typeof STACKS)[number];

/** What nice.ts and nest.ts both export (typed here, so that this file's type check leaves out Nest's decorators). */
interface StackModule {
  startServer(): Promise<{ address: string; close(): Promise<void> }>;
  driver(address: string): Driver;
}



/** What the oracle child prints for a span. */
type OracleSpan = Parameters<typeof fromOracle>[0];

const tree = comparableTree;

/** What each span records besides its name and status: `KIND attribute keys | event names`, CLIENT first. */
function recorded(spans: readonly Comparable[]): string[] {
  return [...spans]
    .sort((a, b) => b.kind - a.kind)
    .map((s) => `${api.SpanKind[s.kind]} ${Object.keys(s.attributes ?? {}).sort().join(' ')} | ${(s.events ?? []).join(' ')}`);
}

/** The oracle's spans by scenario, names mapped; and the span names as it gave them. */
function parseOracle(run: NodeRun, names: Set<string>): Map<string, Comparable[]> {
  expect(run.status, run.stderr).toBe(0);
  return new Map(
    run.stdout.trim().split('\n').map((line) => {
      const { scenario, spans } = JSON.parse(line) as { scenario: string; spans: OracleSpan[] };
      for (const span of spans) names.add(span.name);
      return [scenario, spans.map(fromOracle)];
    }),
  );
}

const oracle = new Map<Stack, Map<string, Comparable[]>>();
const ours = new Map<Stack, Map<string, Comparable[]>>();
const oracleNames = new Map<Stack, Set<string>>(STACKS.map((stack) => [stack, new Set()]));
let sdk: TestSdk;

beforeAll(async () => {
  // Both builds directly under fixtures/stacks/: grpc-js and NestJS load ../proto at run time.
  const plainDir = join(fixturesDir, 'stacks/out-oracle');
  const plain = compileWithTsc(join(fixturesDir, 'stacks'), ['--outDir', plainDir]);
  expect(plain.output).toBe('');
  // The children run while this process runs the traced build.
  const children = STACKS.map((stack) => runNodeAsync([join(import.meta.dirname, 'helpers/stacks-oracle.cjs'), plainDir, stack]));

  const traced = compileWithTspc(join(fixturesDir, 'stacks'), [], join(fixturesDir, 'stacks/out-test-oracle'));
  expect(traced.output).toBe('');
  sdk = installSdk();
  const { scenarios } = traced.load<typeof ScenariosModule>('scenarios');
  const modules: Record<Stack, StackModule> = { 'nice-grpc': traced.load<StackModule>('nice'), nestjs: traced.load<StackModule>('nest') };
  for (const stack of STACKS) {
    const server = await modules[stack].startServer();
    const driver = modules[stack].driver(server.address);
    const runs = new Map<string, Comparable[]>();
    for (const [name, run] of Object.entries(scenarios)) {
      sdk.reset();
      await run(driver);
      // A SERVER span may end just after the client saw its status.
      await vi.waitFor(() => expect(sdk.spans().length).toBeGreaterThanOrEqual(2), { timeout: 5000, interval: 5 });
      runs.set(name, sdk.spans().map(comparable));
    }
    ours.set(stack, runs);
    driver.close();
    await server.close();
  }

  const [nice, nest] = await Promise.all(children);
  oracle.set('nice-grpc', parseOracle(nice!, oracleNames.get('nice-grpc')!));
  oracle.set('nestjs', parseOracle(nest!, oracleNames.get('nestjs')!));
});
afterAll(() => sdk?.uninstall());

/**
 * Where spanweave deliberately differs, the two trees are both written out (so a change on either
 * side shows here) with the reason. These are the differences documented in the README.
 */
const differences: Record<Stack, Record<string, { why: string; theirs: string[]; ours: string[] }>> = {
  'nice-grpc': {
    'say past its deadline': {
      why: 'nice-grpc-client-middleware-deadline aborts the call when the deadline passes (no deadline goes on the wire) and throws DEADLINE_EXCEEDED. nice-grpc-opentelemetry, attached first as it asks, is the innermost client middleware: it sees the abort (CANCELLED); spanweave traces the client outside its middleware, so its span says what the caller gets. On the server, the handler answers once the abort wakes it: nice-grpc-opentelemetry reports that answer as OK; spanweave ends the span at the abort, CANCELLED (what the server was told), not an error on a SERVER span',
      theirs: ['stacks.Echo/Say CLIENT CANCELLED !', '  stacks.Echo/Say SERVER OK'],
      ours: ['stacks.Echo/Say CLIENT DEADLINE_EXCEEDED !', '  stacks.Echo/Say SERVER CANCELLED'],
    },
  },
  nestjs: {
    'say THROW': {
      why: 'Nest answers a plain Error with UNKNOWN "Internal server error" through the callback, without a code: instrumentation-grpc then records no status on the SERVER span and leaves it unset; spanweave records UNKNOWN, the status the client gets, and the exception',
      theirs: ['stacks.Echo/Say CLIENT UNKNOWN !', '  stacks.Echo/Say SERVER -'],
      ours: ['stacks.Echo/Say CLIENT UNKNOWN !', '  stacks.Echo/Say SERVER UNKNOWN !'],
    },
    'say past its deadline': {
      why: 'the handler answers after the deadline; instrumentation-grpc reports that answer as OK, spanweave as DEADLINE_EXCEEDED, since the client never receives it (and the conventions make that a server error)',
      theirs: ['stacks.Echo/Say CLIENT DEADLINE_EXCEEDED !', '  stacks.Echo/Say SERVER OK'],
      ours: ['stacks.Echo/Say CLIENT DEADLINE_EXCEEDED !', '  stacks.Echo/Say SERVER DEADLINE_EXCEEDED !'],
    },
  },
};

const SERVER_ERRORS = ['UNKNOWN', 'DEADLINE_EXCEEDED', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS'];

/**
 * The conventions both tracers follow mark every non-OK SERVER span an error; the current ones
 * only UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE and DATA_LOSS.
 */
function withCurrentServerErrors(tree: string): string {
  return tree.replace(/ SERVER ([A-Z_]+)( !)?$/gm, (_, code: string) => ` SERVER ${code}${SERVER_ERRORS.includes(code) ? ' !' : ''}`);
}

/** The scenarios whose SERVER span only that difference in conventions changes. */
const oldServerErrors = ['say NOT_FOUND', 'collect PERMISSION_DENIED'];

const names = ['say OK', 'say NOT_FOUND', 'say THROW', 'say INTERNAL', 'count 3 OK', 'count 2 then INTERNAL', 'collect OK', 'collect PERMISSION_DENIED', 'chat OK', 'say past its deadline'];

it('covers every scenario the fixture defines, on both sides', () => {
  for (const stack of STACKS) {
    expect([...ours.get(stack)!.keys()]).toEqual(names);
    expect([...oracle.get(stack)!.keys()]).toEqual(names);
  }
});

it.each(STACKS.flatMap((stack) => names.map((name) => [stack, name] as const)))('%s, %s: the same span tree as the stack\'s own tracing', (stack, name) => {
  const theirs = tree(oracle.get(stack)!.get(name)!);
  const mine = tree(ours.get(stack)!.get(name)!);
  expect(mine).not.toBe('');
  const difference = differences[stack][name];
  if (difference) {
    expect(theirs, difference.why).toBe(difference.theirs.join('\n'));
    expect(mine, difference.why).toBe(difference.ours.join('\n'));
    return;
  }
  // Not an error in ours, an error in theirs: NOT_FOUND, PERMISSION_DENIED on a SERVER span.
  expect(withCurrentServerErrors(theirs) !== theirs, 'only these scenarios differ in which SERVER spans are errors').toBe(oldServerErrors.includes(name));
  expect(mine).toBe(withCurrentServerErrors(theirs));
});

/**
 * What the spans record besides their tree, written out for both sides: the older conventions'
 * attributes (rpc.service + short rpc.method, integer rpc.grpc.status_code, net.peer.*) against the
 * current ones (fully qualified rpc.method, rpc.status_code name, error.type, network.peer.*,
 * server.*); nice-grpc-opentelemetry's `message` events on every streamed message, where spanweave
 * adds `rpc.message` events only with the tag's `messages` option (the fixture's nice-grpc and
 * NestJS servers have it: unary messages too); the exception each records.
 */
const attributes: Record<Stack, Record<string, { theirs: string[]; ours: string[] }>> = {
  'nice-grpc': {
    'say OK': {
      theirs: ['CLIENT rpc.grpc.status_code rpc.grpc.status_text rpc.method rpc.service rpc.system | ', 'SERVER net.peer.ip net.peer.port rpc.grpc.status_code rpc.grpc.status_text rpc.method rpc.service rpc.system | '],
      ours: ['CLIENT rpc.method rpc.status_code rpc.system.name server.address server.port | ', 'SERVER network.peer.address network.peer.port rpc.method rpc.status_code rpc.system.name | rpc.message rpc.message'],
    },
    'say NOT_FOUND': {
      // nice-grpc-opentelemetry records an exception only for what is not a ServerError (it answers UNKNOWN).
      theirs: ['CLIENT rpc.grpc.status_code rpc.grpc.status_text rpc.method rpc.service rpc.system | ', 'SERVER net.peer.ip net.peer.port rpc.grpc.status_code rpc.grpc.status_text rpc.method rpc.service rpc.system | '],
      ours: ['CLIENT error.type rpc.method rpc.status_code rpc.system.name server.address server.port | ', 'SERVER network.peer.address network.peer.port rpc.method rpc.status_code rpc.system.name | rpc.message exception'],
    },
    'say THROW': {
      theirs: ['CLIENT rpc.grpc.status_code rpc.grpc.status_text rpc.method rpc.service rpc.system | ', 'SERVER net.peer.ip net.peer.port rpc.grpc.status_code rpc.grpc.status_text rpc.method rpc.service rpc.system | exception'],
      ours: ['CLIENT error.type rpc.method rpc.status_code rpc.system.name server.address server.port | ', 'SERVER error.type network.peer.address network.peer.port rpc.method rpc.status_code rpc.system.name | rpc.message exception'],
    },
    'chat OK': {
      theirs: ['CLIENT rpc.grpc.status_code rpc.grpc.status_text rpc.method rpc.service rpc.system | message message message message', 'SERVER net.peer.ip net.peer.port rpc.grpc.status_code rpc.grpc.status_text rpc.method rpc.service rpc.system | message message message message'],
      ours: ['CLIENT rpc.method rpc.status_code rpc.system.name server.address server.port | ', 'SERVER network.peer.address network.peer.port rpc.method rpc.status_code rpc.system.name | rpc.message rpc.message rpc.message rpc.message'],
    },
  },
  nestjs: {
    'say OK': {
      theirs: ['CLIENT rpc.grpc.status_code rpc.method rpc.service rpc.system server.address server.port | ', 'SERVER rpc.grpc.status_code rpc.method rpc.service rpc.system | '],
      ours: ['CLIENT network.peer.address network.peer.port rpc.method rpc.status_code rpc.system.name server.address server.port | ', 'SERVER network.peer.address network.peer.port rpc.method rpc.status_code rpc.system.name server.address server.port | rpc.message rpc.message'],
    },
    'say NOT_FOUND': {
      // instrumentation-grpc keeps the error's message (and, on the client, its class name) as attributes.
      theirs: ['CLIENT grpc.error_message grpc.error_name rpc.grpc.status_code rpc.method rpc.service rpc.system server.address server.port | ', 'SERVER grpc.error_message rpc.grpc.status_code rpc.method rpc.service rpc.system | '],
      ours: ['CLIENT error.type network.peer.address network.peer.port rpc.method rpc.status_code rpc.system.name server.address server.port | ', 'SERVER network.peer.address network.peer.port rpc.method rpc.status_code rpc.system.name server.address server.port | rpc.message exception'],
    },
    'say THROW': {
      theirs: ['CLIENT grpc.error_message grpc.error_name rpc.grpc.status_code rpc.method rpc.service rpc.system server.address server.port | ', 'SERVER grpc.error_message rpc.method rpc.service rpc.system | '],
      ours: ['CLIENT error.type network.peer.address network.peer.port rpc.method rpc.status_code rpc.system.name server.address server.port | ', 'SERVER error.type network.peer.address network.peer.port rpc.method rpc.status_code rpc.system.name server.address server.port | rpc.message exception'],
    },
    'chat OK': {
      theirs: ['CLIENT rpc.grpc.status_code rpc.method rpc.service rpc.system server.address server.port | ', 'SERVER rpc.grpc.status_code rpc.method rpc.service rpc.system | '],
      ours: ['CLIENT network.peer.address network.peer.port rpc.method rpc.status_code rpc.system.name server.address server.port | ', 'SERVER network.peer.address network.peer.port rpc.method rpc.status_code rpc.system.name server.address server.port | rpc.message rpc.message rpc.message rpc.message'],
    },
  },
};

it.each(STACKS.flatMap((stack) => Object.keys(attributes[stack]).map((name) => [stack, name] as const)))('%s, %s: the attributes and events each side records', (stack, name) => {
  expect(recorded(oracle.get(stack)!.get(name)!)).toEqual(attributes[stack][name]!.theirs);
  expect(recorded(ours.get(stack)!.get(name)!)).toEqual(attributes[stack][name]!.ours);
});

it('span names: instrumentation-grpc prefixes `grpc.`; nice-grpc-opentelemetry and spanweave name the method alone', () => {
  const methods = ['stacks.Echo/Say', 'stacks.Echo/Count', 'stacks.Echo/Collect', 'stacks.Echo/Chat'];
  expect([...oracleNames.get('nice-grpc')!]).toEqual(methods);
  expect([...oracleNames.get('nestjs')!]).toEqual(methods.map((method) => `grpc.${method}`));
  for (const stack of STACKS) expect([...new Set([...ours.get(stack)!.values()].flat().map((s) => s.name))]).toEqual(methods);
});

it('the status attributes: an integer and its name against the name alone; the method split in two against fully qualified', () => {
  const [theirClient] = oracle.get('nice-grpc')!.get('say NOT_FOUND')!.filter((s) => s.kind === api.SpanKind.CLIENT);
  const [ourClient] = ours.get('nice-grpc')!.get('say NOT_FOUND')!.filter((s) => s.kind === api.SpanKind.CLIENT);
  expect(theirClient!.attributes).toMatchObject({ 'rpc.grpc.status_code': 5, 'rpc.grpc.status_text': 'NOT_FOUND', 'rpc.service': 'stacks.Echo', 'rpc.method': 'Say', 'rpc.system': 'grpc' });
  expect(ourClient!.attributes).toMatchObject({ 'rpc.status_code': 'NOT_FOUND', 'error.type': 'NOT_FOUND', 'rpc.method': 'stacks.Echo/Say', 'rpc.system.name': 'grpc' });
  const [theirNest] = oracle.get('nestjs')!.get('say NOT_FOUND')!.filter((s) => s.kind === api.SpanKind.CLIENT);
  expect(theirNest!.attributes).toMatchObject({ 'rpc.grpc.status_code': 5, 'rpc.service': 'stacks.Echo', 'rpc.method': 'Say' });
});
