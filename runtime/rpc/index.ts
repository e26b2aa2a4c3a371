/**
 * spanweave/runtime/rpc: what code compiled from `@traced grpc.server` tags calls, for every gRPC
 * stack (grpc-js, Connect, nice-grpc, NestJS), told apart by the handler's arguments. It sits above
 * the stacks' adapters (runtime/<stack>/server.ts), which share runtime/rpc-core; it imports none of
 * the stacks' packages: each is an optional peer dependency of spanweave.
 */
import { serve as serveImpl, serveStream as serveStreamImpl } from './serve.js';

// Constants rather than re-exports: see runtime/index.ts.
export const serve = serveImpl;
export const serveStream = serveStreamImpl;
export type { GrpcTagOptions } from '../rpc-core/options.js';
