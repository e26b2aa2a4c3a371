import type { Attributes } from '@opentelemetry/api';
import { bounded, safeString } from '../attributes.js';

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

export const Status = { OK: 0, CANCELLED: 1, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, INTERNAL: 13 } as const;

/**
 * The status a stack reports for a failure object: its numeric `code` (grpc-js status errors,
 * Connect's `ConnectError` and nice-grpc's `ServerError` / `ClientError` all carry the gRPC
 * numbers), CANCELLED for an `AbortError`, else UNKNOWN.
 */
export function statusOf(error: unknown): number {
  if (typeof error !== 'object' || error === null) return Status.UNKNOWN;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'number' && Number.isInteger(code) && code >= 0 && code < STATUS_NAMES.length) return code;
  return name === 'AbortError' ? Status.CANCELLED : Status.UNKNOWN;
}

export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? String(code);
}

/** Codes that make a SERVER span an error (semantic conventions, gRPC server spans). */
const SERVER_ERRORS = new Set([2, 4, 12, 13, 14, 15]);

export function isError(code: number, side: 'client' | 'server'): boolean {
  return side === 'client' ? code !== Status.OK : SERVER_ERRORS.has(code);
}

/** `rpc.status_code`, and `error.type` where the status is an error for that side: on spans and duration metrics alike. */
export function statusAttributes(code: number, side: 'client' | 'server'): Attributes {
  const name = statusName(code);
  return isError(code, side) ? { 'rpc.status_code': name, 'error.type': name } : { 'rpc.status_code': name };
}

/** The attributes of the older RPC conventions that `rpc.method` no longer implies (`rpc/dup`). */
export function oldRpcAttributes(system: string, method: string): Attributes {
  return { 'rpc.system': system, 'rpc.service': method.slice(0, Math.max(method.lastIndexOf('/'), 0)) };
}

/** A status error's `details` (grpc-js, nice-grpc), else its `rawMessage` (Connect) or `message`. */
export function describe(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return error === undefined ? undefined : bounded(safeString(error));
  const { details, rawMessage, message } = error as { details?: unknown; rawMessage?: unknown; message?: unknown };
  const text = typeof details === 'string' && details !== '' ? details : typeof rawMessage === 'string' ? rawMessage : message;
  return typeof text === 'string' ? bounded(text) : undefined;
}

/** Calls an accessor of a call object that may be missing or throw. */
export function ask<T>(question: () => T): T | undefined {
  try {
    return question();
  } catch {
    return undefined;
  }
}
