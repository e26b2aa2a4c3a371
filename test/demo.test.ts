import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fixturesDir } from './helpers/paths.js';

/** Removes what changes run to run: trace ids, durations, the bars' positions, column padding. */
function stable(output: string): string {
  return output
    .replace(/trace [0-9a-f]{32} +[\d.]+ m?s/g, 'trace <id>')
    .replace(/ +█[█ ]*[\d.]+ m?s/g, ' <bar>')
    .replace(/ {2,}/g, ' ');
}

it('the demo (npm start) compiles the gRPC app with tspc, prints each trace as a waterfall and writes the HTML view', () => {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('OTEL_')) delete env[key];
  const { stdout, stderr, status } = spawnSync(process.execPath, [join(fixturesDir, 'grpc/start.mjs')], { encoding: 'utf8', env });
  expect(stderr).toBe('');
  expect(status).toBe(0);
  expect(stable(stdout)).toContain(
    [
      'order of ada -> ok: Ada Lovelace ordered 2 items (o1:shipped)',
      'order of nobody -> failed: NOT_FOUND no user nobody',
      '',
      'trace <id> 9 spans',
      'shop.Gateway/PlaceOrder shop CLIENT <bar>',
      '└─ shop.Gateway/PlaceOrder shop SERVER <bar>',
      ' ├─ shop.Users/GetUser shop CLIENT <bar>',
      ' │ └─ shop.Users/GetUser shop SERVER <bar>',
      ' ├─ shop.Orders/UploadItems shop CLIENT <bar>',
      ' │ └─ shop.Orders/UploadItems shop SERVER <bar>',
      ' ├─ shop.Orders/Track shop CLIENT <bar>',
      ' │ └─ shop.Orders/Track shop SERVER <bar>',
      ' └─ summarize shop INTERNAL <bar>',
      '',
      'trace <id> 4 spans 2 with errors',
      'shop.Gateway/PlaceOrder shop CLIENT <bar> ERROR no user nobody',
      '└─ shop.Gateway/PlaceOrder shop SERVER <bar>',
      ' └─ shop.Users/GetUser shop CLIENT <bar> ERROR no user nobody',
      ' └─ shop.Users/GetUser shop SERVER <bar>',
    ].join('\n'),
  );
  const html = join(fixturesDir, 'grpc/out/trace.html');
  expect(existsSync(html)).toBe(true);
  expect(readFileSync(html, 'utf8')).toContain('shop.Orders/UploadItems');
});
