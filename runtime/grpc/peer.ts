import type { Attributes } from '@opentelemetry/api';

/**
 * Splits `host:port`, `[v6]:port`, `ipv4:host:port` or `unix:/path` into address and port
 * attributes under `prefix` (`server` or `network.peer`). Unparseable input gives no attributes.
 */
export function addressAttributes(prefix: 'server' | 'network.peer', value: unknown): Attributes {
  if (typeof value !== 'string' || value === '') return {};
  const target = value.replace(/^(ipv4|ipv6|dns):(\/\/\/)?/, '');
  if (target.startsWith('unix:')) return { [`${prefix}.address`]: target.slice('unix:'.length) };
  const match = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(target);
  if (match === null) return { [`${prefix}.address`]: target };
  return { [`${prefix}.address`]: match[1]!, [`${prefix}.port`]: Number(match[2]) };
}
