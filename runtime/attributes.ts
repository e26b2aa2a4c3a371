import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { diag } from './api.js';

/** Longest string kept in an attribute, a status message or an exception message. */
export const MAX_VALUE_LENGTH = 1024;
/** Most elements kept from an array-valued attribute. */
export const MAX_ARRAY_LENGTH = 128;

export type AttributeSource = () => Record<string, unknown>;

/**
 * The attributes of `sources` in one new object, later ones winning (absent ones skipped). Not an
 * object spread: on Node 20's V8 a spread that follows another spread or a property takes a slow
 * path, about 1 µs each against 50–80 ns here, and spans are built from several parts per call.
 */
export function merged(...sources: Array<Attributes | undefined | false>): Attributes {
  return Object.assign({}, ...sources);
}

/**
 * Evaluates the `attr.` expressions of a call. A throwing expression, or a value that is not
 * representable, never reaches the traced function: its attribute is left out.
 */
export function evaluateAttributes(source: AttributeSource): Attributes | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = source();
  } catch (error) {
    diag.debug('spanweave: an attr. expression threw; its attributes are left out', error);
    return undefined;
  }
  const attributes: Attributes = {};
  for (const key in raw) {
    const value = toAttributeValue(raw[key]);
    if (value !== undefined) attributes[key] = value;
  }
  return attributes;
}

function toAttributeValue(value: unknown): AttributeValue | undefined {
  switch (typeof value) {
    case 'string':
      return bounded(value);
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return bounded(value.toString());
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return undefined;
  if (Array.isArray(value)) return toArrayValue(value);
  return bounded(safeString(value));
}

function toArrayValue(values: readonly unknown[]): AttributeValue | undefined {
  const kept = values.slice(0, MAX_ARRAY_LENGTH);
  if (kept.every((v) => typeof v === 'number')) return kept as number[];
  if (kept.every((v) => typeof v === 'boolean')) return kept as boolean[];
  return kept.map((v) => (v === null || v === undefined ? v : bounded(safeString(v)))) as string[];
}

export function bounded(text: string): string {
  return text.length > MAX_VALUE_LENGTH ? text.slice(0, MAX_VALUE_LENGTH) : text;
}

/** String(value) that cannot throw: a thrown value's own toString is user code. */
export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** `error.type` for a thrown value: its class name, else `_OTHER`. */
export function errorType(error: unknown): string {
  try {
    return error instanceof Error ? bounded(error.name) : '_OTHER';
  } catch {
    return '_OTHER'; // a hostile error object
  }
}

/** The attributes among `keys` that `attributes` has. */
export function pick(attributes: Attributes, keys: readonly string[]): Attributes {
  const picked: Attributes = {};
  for (const key of keys) if (attributes[key] !== undefined) picked[key] = attributes[key];
  return picked;
}
