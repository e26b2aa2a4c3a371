/**
 * The option awaitContext, through every compiler path, under the web SDK's StackContextManager
 * (no AsyncLocalStorage: a context is active only inside `context.with`): in a traced async
 * function the span is active between every await and for-await step, so calls after an await are
 * its children and interleaved calls keep their own spans; each scenario's outcome equals the
 * untraced build's, and the context is left once the calls settle.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import type * as SdkTraceWeb from '@opentelemetry/sdk-trace-web';
import { compileWith, compileWithTsc, PATHS, type Build } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';
import { api, spanTree } from './helpers/sdk.js';
import type { Scenarios } from '../fixtures/await-context/src/scenario.js';

const require = createRequire(import.meta.url);
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof SdkTraceBase;
const { StackContextManager } = require('@opentelemetry/sdk-trace-web') as typeof SdkTraceWeb;

const project = join(fixturesDir, 'await-context');
const exporter = new InMemorySpanExporter();

beforeAll(() => {
  api.context.setGlobalContextManager(new StackContextManager().enable());
  api.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
});
beforeEach(() => exporter.reset());
afterAll(() => {
  api.trace.disable();
  api.context.disable();
});

async function outcome(run: () => unknown): Promise<unknown> {
  try {
    return { returned: await run() };
  } catch (error) {
    return { threw: error };
  }
}

const plain = compileWithTsc(project);
const names = Object.keys(plain.load<{ scenarios: Scenarios }>('awaits').scenarios);

for (const path of PATHS) {
  describe(path, () => {
    let traced: Build;
    beforeAll(() => {
      traced = compileWith(path, project);
    });

    it('compiles cleanly, the awaits rewritten', () => {
      expect(traced.output).toBe('');
      expect(plain.output).toBe('');
      expect(String(traced.load<Record<string, unknown>>('awaits').scenarios)).toBeDefined();
    });

    for (const name of names) {
      it(name, async () => {
        const expected = await outcome(() => plain.load<{ scenarios: Scenarios }>('awaits').scenarios[name]!.run());
        expect(exporter.getFinishedSpans()).toEqual([]);
        const scenario = traced.load<{ scenarios: Scenarios }>('awaits').scenarios[name]!;
        const actual = await outcome(() => scenario.run());
        expect(actual).toEqual(expected);
        expect(spanTree(exporter.getFinishedSpans(), { markErrors: true })).toBe(scenario.spans.join('\n'));
        expect(api.trace.getSpan(api.context.active())).toBeUndefined();
      });
    }
  });
}
