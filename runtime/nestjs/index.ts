/**
 * spanweave/runtime/nestjs: what code compiled from `@traced grpc.client` tags on NestJS gRPC
 * clients (`ClientGrpc.getService()`) calls. Needs @grpc/grpc-js, as Nest's gRPC transport does.
 * `@GrpcMethod`, `@GrpcStreamMethod` and `@GrpcStreamCall` handlers go through spanweave/runtime/rpc.
 */
import { create as createImpl } from './client.js';

// A constant rather than a re-export: see runtime/index.ts.
export const create = createImpl;
