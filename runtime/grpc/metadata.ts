import type { TextMapGetter, TextMapSetter, Attributes } from '@opentelemetry/api';
import { metadataAttributes } from '../rpc-core/metadata.js';

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
    const values = carrier.get(key);
    // One value or none, nearly always: no filtered copy then.
    if (values.length <= 1) return typeof values[0] === 'string' ? values[0] : undefined;
    const strings = values.filter((value): value is string => typeof value === 'string');
    return strings.length <= 1 ? strings[0] : strings;
  },
};

export const metadataSetter: TextMapSetter<unknown> = {
  set(carrier, key, value) {
    if (isMetadata(carrier)) carrier.set(key, value);
  },
};

/** `metadata=` values from grpc-js metadata. */
export function grpcMetadataAttributes(carrier: unknown, keys: readonly string[] | undefined, direction: 'request' | 'response'): Attributes {
  return keys === undefined || !isMetadata(carrier) ? {} : metadataAttributes(keys, (key) => carrier.get(key), direction);
}
