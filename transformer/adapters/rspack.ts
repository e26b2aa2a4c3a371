import { webpackFamilyPlugin } from './webpack-family.js';

export type { AdapterOptions } from './tsconfig.js';

/** Rspack: `plugins: [spanweave()]`. Adds a pre loader, so the tagged files are woven before `builtin:swc-loader` compiles them. */
export const spanweave = webpackFamilyPlugin;
export default spanweave;
