/**
 * spanweave/runtime/http in a browser bundle (the `browser` export condition): `fetch` only. The
 * node:http client and server adapters, and what they import from `node:`, are not on this path.
 */
import { fetch as fetchImpl } from './client.js';

// A constant rather than a re-export: see runtime/index.ts.
export const fetch = fetchImpl;
