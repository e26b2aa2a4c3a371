/**
 * spanweave/runtime/http: what code compiled from `@traced http.server` and `@traced http.client`
 * tags calls. Works with node:http (and Express-style handlers) and with fetch.
 */
import { fetch as fetchImpl } from './client.js';
import { request as requestImpl } from './request.js';
import { serve as serveImpl } from './server.js';

// Constants rather than re-exports: see runtime/index.ts.
export const serve = serveImpl;
export const fetch = fetchImpl;
export const request = requestImpl;
export type { HttpServerOptions } from './options.js';
