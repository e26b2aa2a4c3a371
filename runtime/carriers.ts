import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

/**
 * One getter and one setter for every carrier a message or custom protocol hands over, told apart
 * by shape at run time: grpc-js `Metadata`, fetch `Headers` (and other `get`/`set` objects such
 * as a `Map`), arrays of `[key, value]` pairs (Kafka-style header lists) and plain objects.
 * Reading is exact first, then case-insensitive. Nothing here throws: a hostile carrier (throwing
 * getters, a revoked proxy, a frozen object) reads as empty and ignores writes.
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

function keysOf(carrier: unknown): string[] {
  if (typeof carrier !== 'object' || carrier === null) return [];
  if (Array.isArray(carrier)) return isPairs(carrier) ? carrier.map(([key]) => key) : [];
  if (isGetSet(carrier)) {
    if (typeof carrier.getMap === 'function') return Object.keys(carrier.getMap());
    return typeof carrier.keys === 'function' ? [...carrier.keys()].filter((key): key is string => typeof key === 'string') : [];
  }
  return Object.keys(carrier);
}

function valueOf(carrier: unknown, key: string): string | string[] | undefined {
  if (typeof carrier !== 'object' || carrier === null) return undefined;
  if (Array.isArray(carrier)) {
    if (!isPairs(carrier)) return undefined;
    return text(carrier.filter(([name]) => name.toLowerCase() === key).map(([, value]) => value));
  }
  if (isGetSet(carrier)) return text(carrier.get(key)) ?? text(carrier.get(matchingKey(carrier, key)));
  const record = carrier as Record<string, unknown>;
  return text(record[key]) ?? text(record[matchingKey(carrier, key)]);
}

/** The carrier's own spelling of `key` ('Traceparent' for 'traceparent'), else `key`. */
function matchingKey(carrier: unknown, key: string): string {
  return keysOf(carrier).find((name) => name.toLowerCase() === key) ?? key;
}

/** A string, or the strings of an array (binary and other values read as absent). */
function text(value: unknown): string | string[] | undefined {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return undefined;
  const strings = value.filter((item): item is string => typeof item === 'string');
  if (strings.length === 0) return undefined;
  return strings.length === 1 ? strings[0] : strings;
}

function write(carrier: unknown, key: string, value: string): void {
  if (typeof carrier !== 'object' || carrier === null) return;
  if (Array.isArray(carrier)) {
    if (!isPairs(carrier)) return;
    const existing = carrier.find(([name]) => name.toLowerCase() === key);
    if (existing) existing[1] = value;
    else carrier.push([key, value]);
  } else if (isGetSet(carrier)) {
    carrier.set(key, value);
  } else {
    (carrier as Record<string, unknown>)[key] = value;
  }
}
