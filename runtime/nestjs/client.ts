import { diag } from '../api.js';
import { call } from '../grpc/call.js';
import type { GrpcTagOptions } from '../rpc-core/options.js';

/** The parts of NestJS's `ClientGrpcProxy` (what `ClientGrpc` is at run time) the runtime uses. */
interface ClientGrpcProxy {
  getService(name: string): Record<string, unknown>;
  getClientByServiceName(name: string): Record<string, unknown>;
  createServiceMethod(client: object, methodName: string): unknown;
}

function isClientGrpcProxy(value: unknown): value is ClientGrpcProxy {
  const proxy = value as Partial<ClientGrpcProxy> | null;
  return typeof proxy === 'object' && proxy !== null && typeof proxy.getClientByServiceName === 'function' && typeof proxy.createServiceMethod === 'function';
}

/**
 * A `@traced grpc.client` tag on `client.getService('Service')` of a NestJS `ClientGrpc`: the
 * service's methods are Nest's own (Observables, its error mapping), made over the same grpc-js
 * client, each of whose calls gets a CLIENT span when a method's Observable is subscribed to,
 * with its context in a copy of the call's metadata.
 */
export function create(target: unknown, callee: string | Function, args: unknown[], options?: GrpcTagOptions): unknown {
  const service = typeof callee === 'string' ? (target as Record<string, Function>)[callee]!(...args) : callee(...args);
  if (callee !== 'getService' || !isClientGrpcProxy(target)) {
    diag.warn('spanweave: @traced grpc.client is on a call that is not getService() of a NestJS ClientGrpc; its calls are not traced');
    return service;
  }
  const client = target.getClientByServiceName(args[0] as string);
  const traced = Object.create(client) as Record<string, unknown>;
  for (const method of Object.keys(service as object)) {
    const original = client[method] as Function & object;
    traced[method] = Object.assign((...callArgs: unknown[]) => call(client, method, options, ...callArgs), original);
    (service as Record<string, unknown>)[method] = target.createServiceMethod(traced, method);
  }
  return service;
}
