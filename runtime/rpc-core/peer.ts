import type { Attributes } from '@opentelemetry/api';

const SCHEMES = ['ipv4:', 'ipv6:', 'dns:'];

/**
 * Splits `host:port`, `[v6]:port`, `ipv4:host:port` or `unix:/path` into address and port
 * attributes under `prefix` (`server` or `network.peer`). Unparseable input gives no attributes.
 * Runs three times per RPC, mostly on the same few strings (a channel's target, a connection's
 * peer): the last ones parsed are kept, and what is returned must not be changed.
 */
export function addressAttributes(prefix: 'server' | 'network.peer', value: unknown): Attributes {
  if (typeof value !== 'string' || value === '') return {};
  const cache = prefix === 'server' ? serverCache : peerCache;
  let attributes = cache.get(value);
  if (attributes === undefined) {
    attributes = parse(prefix, value);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(value, attributes);
  }
  return attributes;
}

const CACHE_SIZE = 64;
const serverCache = new Map<string, Attributes>();
const peerCache = new Map<string, Attributes>();

function parse(prefix: 'server' | 'network.peer', value: string): Attributes {
  let target = value;
  const scheme = SCHEMES.find((candidate) => target.startsWith(candidate));
  if (scheme !== undefined) target = target.slice(target.startsWith('///', scheme.length) ? scheme.length + 3 : scheme.length);
  if (target.startsWith('unix:')) return address(prefix, target.slice('unix:'.length));
  const colon = target.lastIndexOf(':');
  const port = target.slice(colon + 1);
  if (colon < 0 || port.length < 1 || port.length > 5 || !isDigits(port)) return address(prefix, target);
  const host = target.slice(target.startsWith('[') ? 1 : 0, target.endsWith(']', colon) ? colon - 1 : colon);
  return address(prefix, host, Number(port));
}

/** The address attributes under `prefix` of a host (and port) known apart. */
export function address(prefix: 'server' | 'network.peer', host: string, port?: number): Attributes {
  if (prefix === 'server') return port === undefined ? { 'server.address': host } : { 'server.address': host, 'server.port': port };
  return port === undefined ? { 'network.peer.address': host } : { 'network.peer.address': host, 'network.peer.port': port };
}

function isDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}
