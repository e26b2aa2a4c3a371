/**
 * spanweave/runtime/grpc: what code compiled from `@traced grpc.client` tags on @grpc/grpc-js
 * clients calls. Needs @grpc/grpc-js (an optional peer dependency of spanweave). Server handlers
 * of every stack go through spanweave/runtime/rpc.
 */
import { call as callImpl } from './call.js';
import { client as clientImpl } from './client.js';

// Constants rather than re-exports: see runtime/index.ts.
export const client = clientImpl;
export const call = callImpl;
export type { GrpcTagOptions } from '../rpc-core/options.js';
