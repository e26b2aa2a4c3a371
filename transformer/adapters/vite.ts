import { unplugin } from './unplugin.js';

export type { AdapterOptions } from './unplugin.js';

/**
 * Vite and Vitest: `plugins: [spanweave()]` in vite.config / vitest.config. Runs before Vite's own
 * TypeScript step (which drops comments, and with them the tags) and hands it the woven TypeScript
 * with a source map that Vite chains.
 */
export const spanweave = unplugin.vite;
export default spanweave;
