/** The address forms grpc-js reports (getPeer, getHost, channel targets) as OTel attributes. */
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import type * as Peer from '../runtime/rpc-core/peer.js';

const { addressAttributes } = createRequire(import.meta.url)('../dist/runtime/cjs/rpc-core/peer.js') as typeof Peer;

it.each([
  ['127.0.0.1:54321', { 'server.address': '127.0.0.1', 'server.port': 54321 }],
  ['ipv4:127.0.0.1:50051', { 'server.address': '127.0.0.1', 'server.port': 50051 }],
  ['ipv6:[::1]:50051', { 'server.address': '::1', 'server.port': 50051 }],
  ['dns:///example.com:443', { 'server.address': 'example.com', 'server.port': 443 }],
  ['dns:example.com', { 'server.address': 'example.com' }],
  ['[::1]:50051', { 'server.address': '::1', 'server.port': 50051 }],
  ['::1:50051', { 'server.address': '::1', 'server.port': 50051 }],
  ['[::1]', { 'server.address': '[::1]' }],
  ['localhost', { 'server.address': 'localhost' }],
  ['host:abc', { 'server.address': 'host:abc' }],
  ['host:123456', { 'server.address': 'host:123456' }],
  ['host:', { 'server.address': 'host:' }],
  ['unix:/tmp/s.sock', { 'server.address': '/tmp/s.sock' }],
  ['', {}],
  [42, {}],
  [undefined, {}],
])('%j', (value, expected) => {
  expect(addressAttributes('server', value)).toEqual(expected);
  const peer = Object.fromEntries(Object.entries(expected).map(([key, v]) => [key.replace('server.', 'network.peer.'), v]));
  expect(addressAttributes('network.peer', value)).toEqual(peer);
});
