/**
 * spanweave/runtime on its own, loaded as compiled code loads it (CommonJS, through the package
 * exports), with a real SDK registered after it loaded.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type * as Runtime from '../runtime/index.js';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import type * as Api from '@opentelemetry/api';
import { repoRoot } from './helpers/paths.js';
import { api, installSdk, type TestSdk } from './helpers/sdk.js';

const require = createRequire(import.meta.url);
const runtime = require('spanweave/runtime') as typeof Runtime;
// Message hops come with the entry that code compiled from producer and consumer tags imports.
require('spanweave/runtime/messaging');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, AlwaysOffSampler } = require('@opentelemetry/sdk-trace-base') as typeof SdkTraceBase;

let sdk: TestSdk | undefined;
afterEach(() => {
  sdk?.uninstall();
  sdk = undefined;
  api.trace.disable();
});

describe('with no SDK registered', () => {
  it('runs the body directly: same values, same objects, no attribute evaluation', async () => {
    const value = { a: 1 };
    let evaluated = false;
    const attributes = () => {
      evaluated = true;
      return {};
    };
    expect(runtime.run('f', () => value, attributes)).toBe(value);
    const promise = Promise.resolve(2);
    expect(runtime.runAsync('f', () => promise, attributes)).toBe(promise);
    const generator = (function* () {
      yield 1;
    })();
    expect(runtime.runGenerator('g', generator, attributes)).toBe(generator);
    expect(evaluated).toBe(false);
    expect(await promise).toBe(2);
  });
});

describe('with an SDK registered after the runtime loaded', () => {
  it('makes an INTERNAL span, active in the body, child of the active span; the context is restored', () => {
    sdk = installSdk();
    const before = api.context.active();
    const tracer = api.trace.getTracer('test');
    let inside: string | undefined;
    tracer.startActiveSpan('parent', (parent) => {
      runtime.run('child', () => {
        inside = api.trace.getActiveSpan()?.spanContext().spanId;
      });
      parent.end();
    });
    expect(api.context.active()).toBe(before);
    const child = sdk.span('child');
    expect(child.kind).toBe(api.SpanKind.INTERNAL);
    expect(inside).toBe(child.spanContext().spanId);
    expect(child.parentSpanContext?.spanId).toBe(sdk.span('parent').spanContext().spanId);
    expect(child.instrumentationScope).toMatchObject({ name: 'spanweave', version: runtime.VERSION });
  });

  it('sees an SDK registered through the ESM copy of @opentelemetry/api', async () => {
    // The API's ESM build, by path: a second module instance, as in an ESM app beside CommonJS code.
    const esmApi = (await import(pathToFileURL(join(repoRoot, 'node_modules/@opentelemetry/api/build/esm/index.js')).href)) as typeof api;
    expect(esmApi.trace).not.toBe(api.trace); // two copies of the API in this process
    const exporter = new InMemorySpanExporter();
    esmApi.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    runtime.run('through-esm', () => 1);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['through-esm']);
    esmApi.trace.disable();
    runtime.run('after-disable', () => 1);
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('with sampling off: the body runs, nothing is exported', () => {
    const exporter = new InMemorySpanExporter();
    api.trace.setGlobalTracerProvider(new BasicTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    expect(runtime.run('sampled-out', () => 'ran')).toBe('ran');
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

describe('errors', () => {
  it.each([[new Error('boom')], ['a string'], [42], [null], [undefined], [{ code: 7 }]])('rethrows %s as is and marks the span', (thrown) => {
    sdk = installSdk();
    let caught: unknown = 'nothing';
    try {
      runtime.run('thrower', () => {
        throw thrown;
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(thrown);
    const span = sdk.span('thrower');
    expect(span.status.code).toBe(api.SpanStatusCode.ERROR);
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('survives a hostile error object and still ends the span', () => {
    sdk = installSdk();
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    expect(() =>
      runtime.run('hostile', () => {
        throw hostile;
      }),
    ).toThrow(expect.anything() as Error);
    expect(sdk.spans().map((s) => s.name)).toEqual(['hostile']);
  });

  it('keeps an unhandled rejection unhandled, and a handled one handled (run returning a native promise)', () => {
    const script = (handle: boolean) => `
      const api = require('@opentelemetry/api');
      const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
      api.trace.setGlobalTracerProvider(new BasicTracerProvider());
      const runtime = require('spanweave/runtime');
      process.on('unhandledRejection', (reason) => { console.log('unhandled ' + reason.message); });
      const p = runtime.run('f', () => Promise.reject(new Error('lost')));
      ${handle ? "p.catch(() => console.log('handled'));" : ''}
      setTimeout(() => {}, 20);`;
    const run = (handle: boolean) => execFileSync(process.execPath, ['-e', script(handle)], { cwd: repoRoot, encoding: 'utf8' }).trim();
    expect(run(false)).toBe('unhandled lost');
    expect(run(true)).toBe('handled');
  });

  it('returns a promise that carries something of its own as is: frozen, with own methods, of a subclass', () => {
    sdk = installSdk();
    class Cancelable<T> extends Promise<T> {}
    const promises = [Object.freeze(Promise.resolve(1)), Object.assign(Promise.resolve(2), { cancel: () => undefined }), Cancelable.resolve(3)];
    for (const promise of promises) {
      expect(runtime.run('p', () => promise)).toBe(promise);
      expect(runtime.withSpan('p', () => promise)).toBe(promise);
    }
    expect(sdk.spans().map((s) => s.name)).toEqual(['p', 'p', 'p', 'p', 'p', 'p']); // ended on return
  });

  it('returns a foreign thenable as is without calling then (it may be lazy)', () => {
    sdk = installSdk();
    let thenCalls = 0;
    const lazy = { then: () => thenCalls++ };
    expect(runtime.run('lazy', () => lazy)).toBe(lazy);
    expect(thenCalls).toBe(0);
    expect(sdk.spans().map((s) => s.name)).toEqual(['lazy']);
  });
});

describe('an SDK that throws', () => {
  // As when a program removes a global the SDK needs (zod's tests delete Date and Set), or a
  // broken SDK: what the SDK throws never reaches the program, which runs as with no SDK.
  const throwingSpan = { end: () => { throw new Error('end failed'); }, spanContext: () => api.INVALID_SPAN_CONTEXT, isRecording: () => true, setAttribute() { return this; }, setAttributes() { return this; }, addEvent() { return this; }, addLink() { return this; }, addLinks() { return this; }, setStatus() { return this; }, updateName() { return this; }, recordException() {} };
  const providers = {
    'on start': { getTracer: () => ({ startSpan: () => { throw new ReferenceError('Date is not defined'); }, startActiveSpan: () => undefined }) },
    'on end': { getTracer: () => ({ startSpan: () => throwingSpan, startActiveSpan: () => undefined }) },
  };

  it.each(Object.entries(providers))('%s: sync, async and generator functions return, throw and yield as untraced', async (_, provider) => {
    api.trace.setGlobalTracerProvider(provider as unknown as Api.TracerProvider);
    const value = { v: 1 };
    const failure = new Error('mine');
    expect(runtime.run('f', () => value)).toBe(value);
    expect(() => runtime.run('f', () => { throw failure; })).toThrow(failure);
    await expect(runtime.runAsync('f', async () => value)).resolves.toBe(value);
    await expect(runtime.runAsync('f', async () => { throw failure; })).rejects.toBe(failure);
    expect([...runtime.runGenerator('g', (function* (): Generator<number, void, undefined> { yield 1; yield 2; })())]).toEqual([1, 2]);
    expect(runtime.run('consume', () => value, undefined, { kind: 'consumer', carrier: () => ({ traceparent: 'x' }) })).toBe(value);
    expect(runtime.withSpan('manual', () => value)).toBe(value);
  });
});

describe('where the context manager cannot enter a context', () => {
  it('inside a reaction of a frozen promise (AsyncLocalStorage before Node 24): the call runs, traced', async () => {
    // (Which span processor can then export it is the SDK's affair: SimpleSpanProcessor enters a context to export.)
    const started: string[] = [];
    sdk = installSdk([{ onStart: (span: { name: string }) => void started.push(span.name), onEnd: () => undefined, forceFlush: async () => undefined, shutdown: async () => undefined } as never]);
    const outer = api.trace.getTracer('test').startSpan('outer');
    // Created while a span is active, as in zod's readonly schemas: the reaction runs with a store to replace.
    const frozen = api.context.with(api.trace.setSpan(api.context.active(), outer), () => Object.freeze(Promise.resolve().then(() => runtime.run('inner', () => 'ran'))));
    await expect(frozen).resolves.toBe('ran');
    outer.end();
    expect(started).toEqual(['outer', 'inner']);
  });
});

describe('attributes', () => {
  it('bounds and converts values; a throwing expression costs its attributes, not the call', () => {
    sdk = installSdk();
    const long = 'x'.repeat(5000);
    runtime.run('values', () => 1, () => ({
      long,
      array: Array.from({ length: 500 }, (_, i) => i),
      number: 1.5,
      flag: true,
      missing: undefined,
      nothing: null,
      fn: () => 1,
      big: 10n,
      date: new Date(0),
      hostile: { toString: () => { throw new Error('no'); } },
    }));
    const { attributes } = sdk.span('values');
    expect((attributes.long as string).length).toBe(runtime.MAX_VALUE_LENGTH);
    expect((attributes.array as number[]).length).toBe(runtime.MAX_ARRAY_LENGTH);
    expect(attributes).toMatchObject({ number: 1.5, flag: true, big: '10', hostile: '[object Object]' });
    expect(attributes.date).toBe(String(new Date(0)));
    expect(Object.keys(attributes)).not.toContain('missing');
    expect(Object.keys(attributes)).not.toContain('nothing');
    expect(Object.keys(attributes)).not.toContain('fn');
    expect(
      runtime.run('throwing', () => 'body ran', () => {
        throw new Error('bad expression');
      }),
    ).toBe('body ran');
    expect(sdk.span('throwing').attributes).toEqual({});
  });
});

it('VERSION is the package version', () => {
  expect(runtime.VERSION).toBe((require('../package.json') as { version: string }).version);
});
