import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { compileWithTspc } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';
import { installSdk, spanTree, api, type TestSdk } from './helpers/sdk.js';

type Checkout = typeof import('../fixtures/basic/src/checkout.js');

describe('a small program compiled with tspc', () => {
  let sdk: TestSdk;
  let checkout: Checkout;
  beforeAll(() => {
    const build = compileWithTspc(join(fixturesDir, 'basic'));
    expect(build.output).toBe('');
    expect(build.exitCode).toBe(0);
    checkout = build.load<Checkout>('checkout');
    sdk = installSdk();
  });
  beforeEach(() => sdk.reset());
  afterAll(() => sdk.uninstall());

  it('nests the spans of traced calls, across await', async () => {
    await expect(checkout.checkout('u1', ['book', 'pen'])).resolves.toBe('u1:7');
    expect(spanTree(sdk.spans())).toBe(['checkout', '  price', '  inventory.reserve'].join('\n'));
    const root = sdk.span('checkout');
    expect(root.kind).toBe(api.SpanKind.INTERNAL);
    expect(root.attributes).toEqual({ 'cart.items': 2 });
    expect(root.status.code).toBe(api.SpanStatusCode.UNSET);
    expect(new Set(sdk.spans().map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it('records a rejection on every span it crosses and rethrows the same error', async () => {
    const error = await checkout.checkout('u2', ['sold-out']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    for (const name of ['checkout', 'inventory.reserve']) {
      const span = sdk.span(name);
      expect(span.status).toEqual({ code: api.SpanStatusCode.ERROR, message: 'sold out: sold-out' });
      expect(span.events.map((e) => e.name)).toEqual(['exception']);
    }
  });
});
