/**
 * spanweave/runtime: what code compiled by spanweave/transformer calls. It depends only on
 * @opentelemetry/api and costs close to nothing while no SDK is registered.
 */
import { run as runImpl, runAsync as runAsyncImpl } from './run.js';
import { runAsyncGenerator as runAsyncGeneratorImpl, runGenerator as runGeneratorImpl } from './generator.js';
import { extract as extractImpl, inject as injectImpl, withSpan as withSpanImpl } from './manual.js';
import { iterate as iterateImpl, resuming as resumingImpl } from './resume.js';

// Exported as constants, not `export { run } from`: CommonJS output turns a re-export into a
// getter, which every traced call would pay for.
export const run = runImpl;
export const runAsync = runAsyncImpl;
export const runGenerator = runGeneratorImpl;
export const runAsyncGenerator = runAsyncGeneratorImpl;
export const resuming = resumingImpl;
export const iterate = iterateImpl;

// The manual API, for hops tags cannot reach.
export const inject = injectImpl;
export const extract = extractImpl;
export const withSpan = withSpanImpl;
export type { WithSpanOptions } from './manual.js';
export { carrierGetter, carrierSetter } from './carriers.js';
export { propagateTraceHeaderCorsUrls } from './trace-header-origins.js';
export type { Hop } from './hop.js';

export type { AttributeSource } from './attributes.js';
export { MAX_VALUE_LENGTH, MAX_ARRAY_LENGTH } from './attributes.js';
export { VERSION } from './version.js';
