import { webpackFamilyPlugin } from './webpack-family.js';

export type { AdapterOptions } from './tsconfig.js';

/**
 * webpack: `plugins: [spanweave()]`. Adds a pre loader, so the tagged files are woven before
 * ts-loader, babel-loader or swc-loader compiles them.
 */
export const spanweave = webpackFamilyPlugin;
export default spanweave;
