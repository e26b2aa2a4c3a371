import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fixturesDir } from './helpers/paths.js';

/** Removes what changes run to run: trace ids and durations. */
function stable(output: string): string {
  return output.replace(/trace [0-9a-f]{32}/g, 'trace <id>').replace(/\d+\.\d ms/g, '<t> ms');
}

it('the demo (npm start) compiles the gRPC app with tspc and prints one trace per order', () => {
  const { stdout, stderr, status } = spawnSync(process.execPath, [join(fixturesDir, 'grpc/start.mjs')], { encoding: 'utf8' });
  expect(stderr).toBe('');
  expect(status).toBe(0);
  expect(stable(stdout)).toContain(
    [
      'order of ada -> ok: Ada Lovelace ordered 2 items (o1:shipped)',
      'order of nobody -> failed: NOT_FOUND no user nobody',
      '',
      'trace <id>',
      '└─ shop.Gateway/PlaceOrder  [CLIENT] <t> ms  rpc.status_code=OK',
      '   └─ shop.Gateway/PlaceOrder  [SERVER] <t> ms  rpc.status_code=OK',
      '      ├─ shop.Users/GetUser  [CLIENT] <t> ms  rpc.status_code=OK',
      '      │  └─ shop.Users/GetUser  [SERVER] <t> ms  user.id=ada rpc.status_code=OK',
      '      ├─ shop.Orders/UploadItems  [CLIENT] <t> ms  rpc.request.metadata.x-tenant=acme rpc.status_code=OK',
      '      │  └─ shop.Orders/UploadItems  [SERVER] <t> ms  rpc.request.metadata.x-tenant=acme rpc.status_code=OK',
      '      ├─ shop.Orders/Track  [CLIENT] <t> ms  rpc.status_code=OK',
      '      │  └─ shop.Orders/Track  [SERVER] <t> ms  rpc.status_code=OK',
      '      └─ summarize  [INTERNAL] <t> ms  order.items=2',
      '',
      'trace <id>',
      '└─ shop.Gateway/PlaceOrder  [CLIENT] <t> ms  rpc.status_code=NOT_FOUND  ERROR no user nobody',
      '   └─ shop.Gateway/PlaceOrder  [SERVER] <t> ms  rpc.status_code=NOT_FOUND',
      '      └─ shop.Users/GetUser  [CLIENT] <t> ms  rpc.status_code=NOT_FOUND  ERROR no user nobody',
      '         └─ shop.Users/GetUser  [SERVER] <t> ms  user.id=nobody rpc.status_code=NOT_FOUND',
    ].join('\n'),
  );
});
