/**
 * spanweave beside @opentelemetry/instrumentation-grpc: fixtures/grpc's traced build in child
 * processes (the instrumentation patches grpc-js only under require), with a real SDK and real
 * servers on 127.0.0.1. Both trace every tagged RPC, and spanweave says so once, on stderr.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileWithTspc } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';

const outDir = join(fixturesDir, 'grpc/out-duplicate'); // beside proto/, which the fixture loads
const CALLS = 20; // as in the helper

type Mode = 'none' | 'before' | 'after' | 'disabled' | 'no-emit-warning';
type Who = 'both' | 'server' | 'client' | 'function';

/** Runs the helper; returns each step's span tree and the lines spanweave's warning printed. */
function run(mode: Mode, who: Who): { trees: Record<string, string>; warnings: string[] } {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // nothing may hide warnings (--no-warnings)
  const child = spawnSync(process.execPath, [join(import.meta.dirname, 'helpers/grpc-duplicate.cjs'), outDir, mode, who], { encoding: 'utf8', env, timeout: 30_000 });
  expect(child.status, child.stderr).toBe(0);
  return { trees: JSON.parse(child.stdout) as Record<string, string>, warnings: child.stderr.split('\n').filter((line) => line.includes('spanweave: @opentelemetry/instrumentation-grpc also traces')) };
}

const repeat = (tree: string): string => Array.from({ length: CALLS }, () => tree).join('\n');
const indent = (tree: string, depth: number): string => tree.replace(/^/gm, '  '.repeat(depth));

/** One RPC through a tagged client construction to a tagged handler, with both instrumentations. */
const twice = (method: string, children = ''): string =>
  [`grpc.${method} CLIENT`, `  ${method} CLIENT`, `    grpc.${method} SERVER`, `    ${method} SERVER`, ...(children ? [indent(children, 3)] : [])].join('\n');
const once = (method: string, children = ''): string => [`${method} CLIENT`, `  ${method} SERVER`, ...(children ? [indent(children, 2)] : [])].join('\n');

/** The trees of the helper's calls (20 unary, one of each stream, the three-service chain), each RPC drawn by `rpc`. */
function callTrees(rpc: (method: string, children?: string) => string): Record<string, string> {
  return {
    unary: repeat(rpc('shop.Users/GetUser')),
    'server streaming': rpc('shop.Users/ListUsers'),
    'client streaming': rpc('shop.Orders/UploadItems'),
    bidi: rpc('shop.Orders/Track'),
    chain: rpc('shop.Gateway/PlaceOrder', [rpc('shop.Orders/Track'), rpc('shop.Orders/UploadItems'), rpc('shop.Users/GetUser'), 'summarize INTERNAL'].join('\n')),
  };
}

function expectWarnedOnce(warnings: string[]): void {
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/^\(node:\d+\) \[SPANWEAVE_DUPLICATE_GRPC\] Warning: spanweave: /);
  expect(warnings[0]).toContain(`getNodeAutoInstrumentations({ '@opentelemetry/instrumentation-grpc': { enabled: false } })`);
  expect(warnings[0]).toContain('remove the grpc.server and grpc.client tags');
}

beforeAll(() => {
  const build = compileWithTspc(join(fixturesDir, 'grpc'), [], outDir);
  expect(build.output).toBe('');
});

describe('with @opentelemetry/instrumentation-grpc active', () => {
  const expectedTrees = callTrees(twice);

  it('enabled before grpc-js is loaded: one warning for many calls of every type, and every tagged RPC has two spans a side', () => {
    const { trees, warnings } = run('before', 'both');
    expectWarnedOnce(warnings);
    expect(trees).toEqual(expectedTrees);
  });

  it('enabled after grpc-js is loaded (before the app is): the same', () => {
    const { trees, warnings } = run('after', 'both');
    expectWarnedOnce(warnings);
    expect(trees).toEqual(expectedTrees);
  });

  it('a process whose only tagged code is a server handler warns once', () => {
    const { trees, warnings } = run('before', 'server');
    expectWarnedOnce(warnings);
    // The caller is untagged: the instrumentation's CLIENT span, then both SERVER spans under it.
    expect(trees).toEqual({ unary: repeat('grpc.shop.Users/GetUser CLIENT\n  grpc.shop.Users/GetUser SERVER\n  shop.Users/GetUser SERVER') });
  });

  it('a process whose only tagged code is a client construction warns once', () => {
    const { trees, warnings } = run('before', 'client');
    expectWarnedOnce(warnings);
    expect(trees).toEqual({ unary: repeat('grpc.shop.Users/GetUser CLIENT\n  shop.Users/GetUser CLIENT\n    grpc.shop.Users/GetUser SERVER') });
  });

  it('a process whose only tagged code is a @traced grpc.client function warns once', () => {
    const { trees, warnings } = run('before', 'function');
    expectWarnedOnce(warnings);
    // Siblings: the instrumentation injects its context last, so the server continues its span.
    expect(trees).toEqual({ unary: [repeat('grpc.shop.Users/GetUser CLIENT\n  grpc.shop.Users/GetUser SERVER'), repeat('shop.Users/GetUser CLIENT')].join('\n') });
  });

  it('without process.emitWarning, the warning goes once to the OpenTelemetry diag logger', () => {
    const { warnings } = run('no-emit-warning', 'both');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^diag warn: spanweave: /);
  });
});

describe('without it', () => {
  const expectedTrees = callTrees(once);

  it('no warning, one span a side', () => {
    const { trees, warnings } = run('none', 'both');
    expect(warnings).toEqual([]);
    expect(trees).toEqual(expectedTrees);
  });

  it('registered, then disabled before the app loads: no warning', () => {
    const { trees, warnings } = run('disabled', 'both');
    expect(warnings).toEqual([]);
    expect(trees).toEqual(expectedTrees);
  });
});
