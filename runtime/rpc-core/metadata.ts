import type { Attributes } from '@opentelemetry/api';
import { bounded } from '../attributes.js';
import { EMIT_OLD_RPC_CONVENTIONS } from '../semconv.js';

/**
 * The metadata values of the keys a user allowed (`metadata=` on the tag), as
 * `rpc.<direction>.metadata.<key>` string arrays (binary values in base64). Nothing is captured
 * unless listed. `valuesOf` reads one key's values from the stack's metadata or headers.
 */
export function metadataAttributes(keys: readonly string[] | undefined, valuesOf: (key: string) => readonly unknown[], direction: 'request' | 'response'): Attributes {
  const attributes: Attributes = {};
  if (keys === undefined) return attributes;
  for (const key of keys) {
    const values = valuesOf(key).flatMap((value) => (typeof value === 'string' ? [bounded(value)] : value instanceof Uint8Array ? [bounded(Buffer.from(value).toString('base64'))] : []));
    if (values.length === 0) continue;
    attributes[`rpc.${direction}.metadata.${key}`] = values;
    if (EMIT_OLD_RPC_CONVENTIONS) attributes[`rpc.grpc.${direction}.metadata.${key}`] = values;
  }
  return attributes;
}
