import type { TextMapGetter, TextMapSetter, Attributes } from '@opentelemetry/api';
import { bounded } from '../attributes.js';
import { EMIT_OLD_RPC_CONVENTIONS } from '../semconv.js';

/** The part of grpc-js's `Metadata` the runtime uses; any object with these methods works. */
export interface MetadataLike {
  get(key: string): Array<string | Uint8Array>;
  set(key: string, value: string): void;
  getMap(): Record<string, unknown>;
}

function isMetadata(carrier: unknown): carrier is MetadataLike {
  return typeof carrier === 'object' && carrier !== null && typeof (carrier as MetadataLike).get === 'function' && typeof (carrier as MetadataLike).getMap === 'function';
}

/** Reads propagation headers from metadata; binary (`-bin`) values and anything odd read as absent. */
export const metadataGetter: TextMapGetter<unknown> = {
  keys: (carrier) => (isMetadata(carrier) ? Object.keys(carrier.getMap()) : []),
  get(carrier, key) {
    if (!isMetadata(carrier)) return undefined;
    const values = carrier.get(key).filter((value): value is string => typeof value === 'string');
    if (values.length === 0) return undefined;
    return values.length === 1 ? values[0] : values;
  },
};

export const metadataSetter: TextMapSetter<unknown> = {
  set(carrier, key, value) {
    if (isMetadata(carrier)) carrier.set(key, value);
  },
};

/**
 * The metadata values of the keys a user allowed (`metadata=` on the tag), as
 * `rpc.request.metadata.<key>` string arrays. Nothing is captured unless listed.
 */
export function metadataAttributes(carrier: unknown, keys: readonly string[] | undefined, direction: 'request' | 'response'): Attributes {
  const attributes: Attributes = {};
  if (keys === undefined || !isMetadata(carrier)) return attributes;
  for (const key of keys) {
    const values = carrier.get(key).map((value) => bounded(typeof value === 'string' ? value : Buffer.from(value).toString('base64')));
    if (values.length === 0) continue;
    attributes[`rpc.${direction}.metadata.${key}`] = values;
    if (EMIT_OLD_RPC_CONVENTIONS) attributes[`rpc.grpc.${direction}.metadata.${key}`] = values;
  }
  return attributes;
}
