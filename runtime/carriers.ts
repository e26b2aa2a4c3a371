import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

/**
 * One getter and one setter for every carrier a message or custom protocol hands over, told apart
 * by shape at run time: grpc-js `Metadata`, fetch `Headers` and NATS `MsgHdrs` (and other
 * `get`/`set` objects such as a `Map`), arrays of `[key, value]` pairs (header lists), flat
 * `[field, value, field, value, ...]` lists (Redis Streams entries as ioredis gives them) and plain
 * objects (kafkajs, amqplib, MQTT 5 user properties, Pub/Sub attributes, SQS message attributes).
 * A value may be a string, bytes (a Buffer, decoded strictly as UTF-8), an array of either, or an
 * SQS attribute (`{ DataType, StringValue }`). Reading is exact first, then case-insensitive.
 * Nothing here throws: a hostile carrier (throwing getters, a revoked proxy, a frozen object, bytes
 * that are not UTF-8) reads as empty and ignores writes.
 */
export const carrierGetter: TextMapGetter<unknown> = {
  keys: (carrier) => attempt(() => keysOf(carrier), []),
  get: (carrier, key) => attempt(() => valueOf(carrier, key), undefined),
};

export const carrierSetter: TextMapSetter<unknown> = {
  set(carrier, key, value) {
    attempt(() => write(carrier, key, value), undefined);
  },
};

/** SQS `MessageAttributes` (`system=aws.sqs`): each value is written as `{ DataType: 'String', StringValue }`. */
export const sqsAttributesSetter: TextMapSetter<unknown> = {
  set(carrier, key, value) {
    if (typeof carrier === 'object' && carrier !== null && !Array.isArray(carrier)) attempt(() => ((carrier as Record<string, unknown>)[key] = sqsAttribute(value)), undefined);
  },
};

const sqsAttribute = (value: string) => ({ DataType: 'String', StringValue: value });

type Pair = [string, unknown];
interface GetSet {
  get(key: string): unknown;
  set(key: string, value: string): unknown;
  keys?(): Iterable<string>;
  getMap?(): Record<string, unknown>;
}

function attempt<T>(action: () => T, fallback: T): T {
  try {
    return action();
  } catch {
    return fallback;
  }
}

function isGetSet(carrier: object): carrier is GetSet {
  return typeof (carrier as GetSet).get === 'function' && typeof (carrier as GetSet).set === 'function';
}

function isPairs(carrier: unknown[]): carrier is Pair[] {
  return carrier.every((entry) => Array.isArray(entry) && typeof entry[0] === 'string');
}

/**
 * `[field, value, field, value, ...]`: an even number of entries, every field text (a string, or
 * bytes as ioredis's `xreadBuffer` gives them).
 */
export function isFlatList(carrier: unknown[]): boolean {
  if (carrier.length === 0 || carrier.length % 2 !== 0) return false;
  for (let i = 0; i < carrier.length; i += 2) if (fieldName(carrier[i]) === undefined) return false;
  return true;
}

function fieldName(entry: unknown): string | undefined {
  return typeof entry === 'string' || entry instanceof Uint8Array ? oneText(entry) : undefined;
}

/** The values of a flat list whose field is `key`, in any case. */
function flatValues(carrier: unknown[], key: string): unknown[] {
  return carrier.filter((_, i) => i % 2 === 1 && fieldName(carrier[i - 1])?.toLowerCase() === key);
}

function keysOf(carrier: unknown): string[] {
  if (typeof carrier !== 'object' || carrier === null) return [];
  if (Array.isArray(carrier)) {
    if (isPairs(carrier)) return carrier.map(([key]) => key);
    return isFlatList(carrier) ? carrier.filter((_, i) => i % 2 === 0).map((field) => fieldName(field)!) : [];
  }
  if (isGetSet(carrier)) {
    if (typeof carrier.getMap === 'function') return Object.keys(carrier.getMap());
    return typeof carrier.keys === 'function' ? [...carrier.keys()].filter((key): key is string => typeof key === 'string') : [];
  }
  return Object.keys(carrier);
}

function valueOf(carrier: unknown, key: string): string | string[] | undefined {
  if (typeof carrier !== 'object' || carrier === null) return undefined;
  if (Array.isArray(carrier)) {
    if (isPairs(carrier)) return text(carrier.filter(([name]) => name.toLowerCase() === key).map(([, value]) => value));
    return isFlatList(carrier) ? text(flatValues(carrier, key)) : undefined;
  }
  if (isGetSet(carrier)) return text(carrier.get(key)) ?? (ignoresCase(carrier) ? undefined : text(carrier.get(matchingKey(carrier, key))));
  const record = carrier as Record<string, unknown>;
  return text(record[key]) ?? text(record[matchingKey(carrier, key)]);
}

/**
 * Carriers whose `get` already ignores case: fetch `Headers`, and grpc-js `Metadata` (which
 * lowercases keys). A key they lack is absent in every spelling, and listing their keys to look
 * again (undici sorts them) cost more than the rest of reading a request's context.
 */
function ignoresCase(carrier: GetSet): boolean {
  return (typeof Headers === 'function' && carrier instanceof Headers) || typeof carrier.getMap === 'function';
}

/** The carrier's own spelling of `key` ('Traceparent' for 'traceparent'), else `key`. */
function matchingKey(carrier: unknown, key: string): string {
  return keysOf(carrier).find((name) => name.toLowerCase() === key) ?? key;
}

/** A value as text, or the texts of an array; anything that is not text reads as absent. */
function text(value: unknown): string | string[] | undefined {
  if (!Array.isArray(value)) return oneText(value);
  const strings = value.map(oneText).filter((item): item is string => item !== undefined);
  if (strings.length === 0) return undefined;
  return strings.length === 1 ? strings[0] : strings;
}

/** Propagation headers are short: longer bytes are not decoded (the propagator would refuse them anyway). */
const MAX_DECODED_BYTES = 8192;
const utf8 = typeof TextDecoder === 'function' ? new TextDecoder('utf-8', { fatal: true }) : undefined;

/** A string; bytes that are valid UTF-8 (Kafka header values); an SQS attribute's `StringValue`. */
function oneText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) {
    if (value.length > MAX_DECODED_BYTES || utf8 === undefined) return undefined;
    try {
      return utf8.decode(value);
    } catch {
      return undefined; // not UTF-8
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { StringValue } = value as { StringValue?: unknown };
    return typeof StringValue === 'string' ? StringValue : undefined;
  }
  return undefined;
}

/** SQS `MessageAttributes`: values are `{ DataType, StringValue }`, which a producer's context must match. */
function isSqsAttributes(record: Record<string, unknown>): boolean {
  for (const key in record) {
    const entry = record[key];
    return typeof entry === 'object' && entry !== null && typeof (entry as { DataType?: unknown }).DataType === 'string';
  }
  return false;
}

function write(carrier: unknown, key: string, value: string): void {
  if (typeof carrier !== 'object' || carrier === null) return;
  if (Array.isArray(carrier)) {
    if (isPairs(carrier)) {
      const existing = carrier.find(([name]) => name.toLowerCase() === key);
      if (existing) existing[1] = value;
      else carrier.push([key, value]);
    } else if (isFlatList(carrier)) {
      const at = carrier.findIndex((entry, i) => i % 2 === 0 && fieldName(entry)?.toLowerCase() === key);
      if (at >= 0) carrier[at + 1] = value;
      else carrier.push(key, value);
    }
  } else if (isGetSet(carrier)) {
    carrier.set(key, value);
  } else {
    const record = carrier as Record<string, unknown>;
    record[key] = isSqsAttributes(record) ? sqsAttribute(value) : value;
  }
}
