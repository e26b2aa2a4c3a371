import type { Attributes } from '@opentelemetry/api';

/** gRPC status codes by number (grpc/doc/statuscodes.md), without importing @grpc/grpc-js. */
export const STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export const Status = { OK: 0, CANCELLED: 1, UNKNOWN: 2, DEADLINE_EXCEEDED: 4 } as const;

/** The status a server reports for a failure object: its numeric `code`, else UNKNOWN. */
export function statusOf(error: unknown): number {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code < STATUS_NAMES.length ? code : Status.UNKNOWN;
}

export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? String(code);
}

/** Codes that make a SERVER span an error (semantic conventions, gRPC server spans). */
const SERVER_ERRORS = new Set([2, 4, 12, 13, 14, 15]);

export function isError(code: number, side: 'client' | 'server'): boolean {
  return side === 'client' ? code !== Status.OK : SERVER_ERRORS.has(code);
}

/** The attributes of the older RPC conventions that `rpc.method` no longer implies (`rpc/dup`). */
export function oldRpcAttributes(method: string): Attributes {
  return { 'rpc.system': 'grpc', 'rpc.service': method.slice(0, Math.max(method.lastIndexOf('/'), 0)) };
}
