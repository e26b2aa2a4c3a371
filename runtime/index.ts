/**
 * spanweave/runtime: what code compiled by spanweave/transformer calls. It depends only on
 * @opentelemetry/api and costs close to nothing while no SDK is registered.
 */
export { run, runAsync } from './run.js';
export { runGenerator, runAsyncGenerator } from './generator.js';
export type { AttributeSource } from './attributes.js';
export { MAX_VALUE_LENGTH, MAX_ARRAY_LENGTH } from './attributes.js';
export { VERSION } from './version.js';
