/**
 * The traceAll plugin option (fixtures/trace-all: `"traceAll": ["src/lib"]`): every named function
 * of the selected files gets a span without a tag, compiled with tspc and run with a real SDK;
 * tags still name spans and opt functions out; other files stay as they are.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compileWithTspc, compileWithTsc } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';
import { installSdk, spanTree, type TestSdk } from './helpers/sdk.js';

type App = typeof import('../fixtures/trace-all/src/app.js');

let sdk: TestSdk;
let traced: App;
let plain: App;
beforeAll(() => {
  const build = compileWithTspc(join(fixturesDir, 'trace-all'));
  expect(build.output).toBe('');
  traced = build.load<App>('app');
  plain = compileWithTsc(join(fixturesDir, 'trace-all')).load<App>('app'); // no plugin: plain tsc
  sdk = installSdk();
});
afterAll(() => sdk.uninstall());

it('traces every named function of src/lib, not its anonymous callbacks, not the constructor, not what @untraced marks', async () => {
  const result = await traced.main();
  expect(spanTree(sdk.spans())).toBe(
    [
      'Basket.add',
      'Basket.add',
      'Basket.checkout',
      '  total',
      '    net',
      '      round',
      '    net',
      '      round',
      'Basket.get size',
      'Basket.each',
      'pricing.discount',
    ].join('\n'),
  );
  expect(sdk.span('pricing.discount').attributes).toEqual({ percent: 10 });
  expect(result).toEqual(await plain.main()); // and the program does what it did
});
