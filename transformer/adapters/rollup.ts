import { unplugin } from './unplugin.js';

export type { AdapterOptions } from './unplugin.js';

/**
 * Rollup: `plugins: [spanweave(), typescript()]`, before the plugin that strips the types
 * (@rollup/plugin-typescript, rollup-plugin-esbuild, …), which drops comments and the tags with
 * them; Rollup runs the plugins' transforms in their order.
 */
export const spanweave = unplugin.rollup;
export default spanweave;
