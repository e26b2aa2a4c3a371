/**
 * spanweave/runtime/nice-grpc: what code compiled from `@traced grpc.client` tags on nice-grpc
 * clients calls. Needs nice-grpc (an optional peer dependency). nice-grpc handlers go through
 * spanweave/runtime/rpc.
 */
import { create as createImpl } from './client.js';

// A constant rather than a re-export: see runtime/index.ts.
export const create = createImpl;
