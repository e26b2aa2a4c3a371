/**
 * Hostile trace context, fuzzed: random and mutated `traceparent`, `tracestate` and `baggage`
 * values, in any key casing, in every carrier shape the runtime reads (plain object, Map, fetch
 * Headers, grpc Metadata, [key, value] pairs). Whatever arrives, a consumer's body runs exactly
 * once and returns its value, nothing throws, and the trace is continued exactly when the W3C
 * propagator itself accepts the traceparent; otherwise a new trace starts.
 * SPANWEAVE_PROPERTY_RUNS sets the number of cases (default 1000).
 */
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type * as Grpc from '@grpc/grpc-js';
import type * as Runtime from '../runtime/index.js';
import { api, installSdk, type TestSdk } from './helpers/sdk.js';

const require = createRequire(import.meta.url);
const runtime = require('spanweave/runtime') as typeof Runtime;
// Message hops come with the entry that code compiled from producer and consumer tags imports.
require('spanweave/runtime/messaging');
const grpc = require('@grpc/grpc-js') as typeof Grpc;
const { propagation, trace, ROOT_CONTEXT } = api;
const RUNS = Number(process.env.SPANWEAVE_PROPERTY_RUNS ?? 1000);

let sdk: TestSdk;
beforeAll(() => {
  sdk = installSdk();
});
afterAll(() => sdk.uninstall());

const hex = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF0000'), minLength: min, maxLength: max });
/** Near-valid traceparents: each field of a random length, zeros and uppercase likely, odd separators and suffixes. */
const lowerHex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const traceparents = fc.oneof(
  fc.tuple(lowerHex(32), lowerHex(16), fc.constantFrom('00', '01')).map(([traceId, spanId, flags]) => `00-${traceId}-${spanId}-${flags}`),
  fc.tuple(fc.constantFrom('00', 'ff', '01', 'fe', 'zz', '0'), hex(30, 34), hex(14, 18), fc.constantFrom('01', '00', 'ff', '1', 'xx'), fc.constantFrom('', '-extra', ' ', '\t'), fc.constantFrom('-', '_', '--'))
    .map(([version, traceId, spanId, flags, suffix, separator]) => [version, traceId, spanId, flags].join(separator) + suffix),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
);
const tracestates = fc.oneof(fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([k, v]) => `${k}=${v}`), { maxLength: 40 }).map((members) => members.join(',')), fc.string());
const baggages = fc.oneof(fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([k, v]) => `${k}=${v}`), { maxLength: 20 }).map((members) => members.join(',')), fc.string());
const casings = fc.constantFrom((key: string) => key, (key: string) => key.toUpperCase(), (key: string) => key[0]!.toUpperCase() + key.slice(1));

const cases = fc.record({ traceparent: traceparents, tracestate: fc.option(tracestates), baggage: fc.option(baggages), casing: casings, repeated: fc.boolean() });

/** Every carrier shape holding the headers; a shape whose own constructor refuses a value is left out. */
function carriers(headers: Array<[string, string]>): Array<[string, unknown]> {
  const shapes: Array<[string, () => unknown]> = [
    ['object', () => Object.fromEntries(headers)],
    ['Map', () => new Map(headers)],
    ['pairs', () => headers],
    ['Headers', () => new Headers(headers)],
    [
      'Metadata',
      () => {
        const metadata = new grpc.Metadata();
        for (const [key, value] of headers) metadata.add(key, value);
        return metadata;
      },
    ],
  ];
  return shapes.flatMap(([name, make]) => {
    try {
      return [[name, make()] as [string, unknown]];
    } catch {
      return [];
    }
  });
}

it(`a consumer runs once and continues exactly the traces the W3C propagator accepts, whatever the carrier holds (${RUNS} cases)`, () => {
  let continued = 0;
  fc.assert(
    fc.property(cases, ({ traceparent, tracestate, baggage, casing, repeated }) => {
      const headers: Array<[string, string]> = [[casing('traceparent'), traceparent]];
      if (repeated) headers.push([casing('traceparent'), `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`]);
      if (tracestate !== null) headers.push([casing('tracestate'), tracestate]);
      if (baggage !== null) headers.push([casing('baggage'), baggage]);
      // The reference: what the global W3C propagator makes of the traceparent alone.
      const expected = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent }));
      for (const [shape, carrier] of carriers(headers)) {
        sdk.reset();
        let ran = 0;
        const active = runtime.run('consume', () => {
          ran++;
          return trace.getActiveSpan()?.spanContext();
        }, undefined, { kind: 'consumer', carrier: () => carrier });
        expect([shape, ran]).toEqual([shape, 1]);
        if (repeated) continue; // which of two values wins is the carrier's business; only safety counts
        // Continued: the same trace (recorded as a child when sampled); else a new, sampled trace.
        expect([shape, active?.traceId === expected?.traceId]).toEqual([shape, expected !== undefined]);
        const sampled = expected === undefined || (expected.traceFlags & 1) === 1;
        expect([shape, sdk.spans().map((span) => span.parentSpanContext?.spanId)]).toEqual([shape, sampled ? [expected?.spanId] : []]);
        if (expected) continued++;
      }
    }),
    { numRuns: RUNS },
  );
  expect(continued).toBeGreaterThan(RUNS / 10); // valid contexts were among the cases, and were continued
});
