/**
 * spanweave/runtime in a browser bundle (the `browser` export condition): the same entry points
 * as index.ts but message hops (`producer` / `consumer` tags trace as INTERNAL there), so that a
 * page carries only what it calls. Built as ES modules only, where a re-export costs nothing per
 * call (see index.ts for CommonJS).
 */
export { run, runAsync } from './run.js';
export { runAsyncGenerator, runGenerator } from './generator.js';
export { iterate, resuming } from './resume.js';
export { extract, inject, withSpan, type WithSpanOptions } from './manual.js';
export { carrierGetter, carrierSetter } from './carriers.js';
export { propagateTraceHeaderCorsUrls } from './trace-header-origins.js';
export type { Hop } from './hop.js';
export type { AttributeSource } from './attributes.js';
export { MAX_VALUE_LENGTH, MAX_ARRAY_LENGTH } from './attributes.js';
export { VERSION } from './version.js';
