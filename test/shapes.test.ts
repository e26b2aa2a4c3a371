/**
 * Every function shape, compiled from fixtures/shapes through each path (tspc with the plugin, the
 * text-edit core on the source and on tsc's output) and untraced (plain tsc, which ignores plugins). Each scenario must have the same outcome in both
 * builds, and the traced build must produce exactly the scenario's span tree.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileWith, compileWithTsc, PATHS, type Build } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';
import { installSdk, spanTree, type TestSdk } from './helpers/sdk.js';
import type { Scenarios } from '../fixtures/shapes/src/scenario.js';

const modules = ['declarations', 'classes', 'objects', 'functions', 'asyncs', 'generators'] as const;
const project = join(fixturesDir, 'shapes');

let sdk: TestSdk;

beforeAll(() => {
  sdk = installSdk();
});
beforeEach(() => sdk.reset());
afterAll(() => sdk.uninstall());

/**
 * Tags that tsc's emit drops with the construct they stand on (an overload signature, a comment
 * after a decorator, one after `export` in CommonJS): on the emitted-JavaScript path they are reported, not applied (test/cli.test.ts).
 */
const LOST_IN_EMIT = ['only the overload implementation is wrapped', 'decorators still see and wrap the method', 'a tag between export and the declaration'];

type Outcome = { returned: unknown } | { threw: unknown };

async function outcome(run: () => unknown): Promise<Outcome> {
  try {
    return { returned: await run() };
  } catch (error) {
    return { threw: error };
  }
}

for (const path of PATHS) {
  describe(path, () => {
    // A fresh untraced twin for each path: the fixtures keep state (counters) in their modules.
    let traced: Build;
    let plain: Build;
    beforeAll(() => {
      traced = compileWith(path, project);
      plain = compileWithTsc(project);
    });

    it('compiles cleanly with and without the plugin', () => {
      expect(traced.output).toBe('');
      expect(plain.output).toBe('');
    });

    for (const module of modules) {
      describe(module, () => {
        it('every export keeps its name, length and kind', () => {
          expect(signatures(traced.load(module))).toEqual(signatures(plain.load(module)));
        });

        for (const name of scenarioNames(module)) {
          if (path === 'weave emitted' && LOST_IN_EMIT.includes(name)) continue;
          it(name, async () => {
            const untracedRun = plain.load<{ scenarios: Scenarios }>(module).scenarios[name]!;
            const tracedRun = traced.load<{ scenarios: Scenarios }>(module).scenarios[name]!;
            const expected = await outcome(() => untracedRun.run());
            expect(sdk.spans(), 'the untraced build makes no spans').toEqual([]);
            const actual = await outcome(() => tracedRun.run());
            expect(actual).toEqual(expected);
            expect(spanTree(sdk.spans(), { markErrors: true })).toBe(tracedRun.spans.join('\n'));
          });
        }
      });
    }
  });
}

/** Scenario names, needed before beforeAll compiles anything: read from the fixture's source. */
function scenarioNames(module: string): string[] {
  const source = readFileSync(join(project, 'src', `${module}.ts`), 'utf8');
  const block = source.slice(source.indexOf('export const scenarios'));
  const names = [...block.matchAll(/^ {2}'([^']+)': \{/gm)].map((m) => m[1]!);
  if (names.length === 0) throw new Error(`no scenarios found in ${module}.ts`);
  return names;
}

/** What a caller can observe of each exported function and class method without calling it. */
function signatures(exports: Record<string, unknown>): unknown {
  const describe = (fn: unknown): unknown =>
    typeof fn === 'function' ? { name: fn.name, length: fn.length, kind: Object.prototype.toString.call(fn), constructor: fn.constructor.name } : typeof fn;
  const members = (target: object): unknown =>
    Object.fromEntries(
      Object.getOwnPropertyNames(target).map((key) => {
        const descriptor = Object.getOwnPropertyDescriptor(target, key)!;
        return [key, { value: describe(descriptor.value), get: describe(descriptor.get), set: describe(descriptor.set), enumerable: descriptor.enumerable }];
      }),
    );
  return Object.fromEntries(
    Object.entries(exports).map(([key, value]) => [
      key,
      typeof value === 'function' && value.prototype ? { self: describe(value), statics: members(value), prototype: members(value.prototype) } : describe(value),
    ]),
  );
}
