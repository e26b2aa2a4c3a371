import type { Attributes } from '@opentelemetry/api';
import { bounded } from '../attributes.js';

/** The methods the HTTP conventions know; any other is recorded as `_OTHER`. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/** `http.request.method` (and `http.request.method_original` when normalized). */
export function methodAttributes(method: unknown): Attributes {
  const original = typeof method === 'string' && method !== '' ? method : 'GET';
  const upper = original.toUpperCase();
  if (KNOWN_METHODS.has(upper)) return upper === original ? { 'http.request.method': upper } : { 'http.request.method': upper, 'http.request.method_original': bounded(original) };
  return { 'http.request.method': '_OTHER', 'http.request.method_original': bounded(original) };
}

/** `{method}` or `{method} {route}`; an unknown method names the span `HTTP`. */
export function spanName(attributes: Attributes, route: string | undefined): string {
  const method = attributes['http.request.method'] === '_OTHER' ? 'HTTP' : String(attributes['http.request.method']);
  return route === undefined ? method : `${method} ${route}`;
}

/**
 * `url.full` without what must not leave the process by default: user name and password are
 * dropped and every query value reads `REDACTED` (the keys stay, for grouping).
 */
export function redactedUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  for (const key of new Set(copy.searchParams.keys())) copy.searchParams.set(key, 'REDACTED');
  return bounded(copy.href);
}

/** `server.address` and `server.port` of a URL, with the scheme's default port. */
export function serverAttributes(url: URL): Attributes {
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : undefined) : Number(url.port);
  const attributes: Attributes = { 'server.address': url.hostname.replace(/^\[|\]$/g, '') };
  if (port !== undefined) attributes['server.port'] = port;
  return attributes;
}

/** `http.request.header.<name>` for the names a tag allowed; nothing else. */
export function headerAttributes(read: (name: string) => unknown, names: readonly string[] | undefined): Attributes {
  const attributes: Attributes = {};
  for (const name of names ?? []) {
    const value = read(name);
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string').map(bounded);
    if (values.length > 0) attributes[`http.request.header.${name}`] = values;
  }
  return attributes;
}

/**
 * The request attributes each HTTP duration metric keeps: low cardinality, never a path or a
 * query (the server's `http.route` comes only from `route=`); the server's `server.*` is opt-in
 * in the conventions (it comes from the Host header), the client's is required.
 */
export const SERVER_METRIC_ATTRIBUTES = ['http.request.method', 'url.scheme', 'network.protocol.version'];
export const CLIENT_METRIC_ATTRIBUTES = [...SERVER_METRIC_ATTRIBUTES, 'server.address', 'server.port'];
