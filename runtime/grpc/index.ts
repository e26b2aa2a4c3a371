/**
 * spanweave/runtime/grpc: what code compiled from `@traced grpc.server` and `@traced grpc.client`
 * tags calls. Needs @grpc/grpc-js (an optional peer dependency of spanweave).
 */
import { call as callImpl } from './call.js';
import { client as clientImpl } from './client.js';
import { serve as serveImpl } from './server.js';

// Constants rather than re-exports: see runtime/index.ts.
export const serve = serveImpl;
export const client = clientImpl;
export const call = callImpl;
export type { GrpcTagOptions } from './options.js';
