/**
 * spanweave/runtime/connect: what code compiled from `@traced grpc.client` tags on Connect-ES
 * clients and transports calls. It imports nothing of Connect (an optional peer dependency):
 * transports are recognised by shape. Connect handlers go through spanweave/runtime/rpc.
 */
import { create as createImpl } from './client.js';

// A constant rather than a re-export: see runtime/index.ts.
export const create = createImpl;
