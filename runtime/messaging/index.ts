/**
 * spanweave/runtime/messaging: what code compiled by spanweave/transformer calls for functions
 * tagged `producer` or `consumer`: the entry points of spanweave/runtime, with the message hops
 * (carriers, the messaging conventions, their metrics) that the main entry leaves out, so that a
 * program without them does not ship them.
 */
import { startHopSpan } from '../hop.js';
import { supportHops } from '../span.js';

supportHops(startHopSpan);

import * as core from '../index.js';

// Constants, not `export { run } from`: CommonJS output turns a re-export into a getter (index.ts).
export const run = core.run;
export const runAsync = core.runAsync;
export const runGenerator = core.runGenerator;
export const runAsyncGenerator = core.runAsyncGenerator;
export const resuming = core.resuming;
export const iterate = core.iterate;
