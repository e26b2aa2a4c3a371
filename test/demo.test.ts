import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fixturesDir } from './helpers/paths.js';

/** Removes what changes run to run: trace ids and durations. */
function stable(output: string): string {
  return output.replace(/trace [0-9a-f]{32}/g, 'trace <id>').replace(/\d+\.\d ms/g, '<t> ms');
}

it('the demo (npm start) compiles with tspc and prints each trace as a tree', () => {
  const { stdout, stderr, status } = spawnSync(process.execPath, [join(fixturesDir, 'demo/start.mjs')], { encoding: 'utf8' });
  expect(stderr).toBe('');
  expect(status).toBe(0);
  expect(stable(stdout)).toContain(
    [
      'trace <id>',
      '└─ checkout.submit  [INTERNAL] <t> ms  user.id=ada cart.items=2',
      '   ├─ CheckoutService.total  [INTERNAL] <t> ms',
      '   │  └─ prices  [INTERNAL] <t> ms',
      '   ├─ inventory.reserve  [INTERNAL] <t> ms',
      '   └─ payments.charge  [INTERNAL] <t> ms  payment.amount=700',
    ].join('\n'),
  );
  expect(stable(stdout)).toContain('└─ checkout.submit  [INTERNAL] <t> ms  user.id=bob cart.items=1  ERROR out of stock: unicorn');
  expect(stable(stdout)).toContain('   └─ payments.charge  [INTERNAL] <t> ms  payment.amount=400  ERROR card declined');
});
