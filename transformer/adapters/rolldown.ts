import type { Plugin } from 'rolldown';
import { rollupFamilyPlugin } from './rollup-family.js';
import type { AdapterOptions } from './tsconfig.js';
import { Weaver } from './weaver.js';

export type { AdapterOptions } from './tsconfig.js';

/** Rolldown: `plugins: [spanweave()]`; Rolldown strips the types itself, after the plugins' transforms. */
export function spanweave(options: AdapterOptions = {}): Plugin {
  return rollupFamilyPlugin(new Weaver(options));
}
export default spanweave;
