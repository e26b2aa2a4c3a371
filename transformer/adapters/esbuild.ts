import { unplugin } from './unplugin.js';

export type { AdapterOptions } from './unplugin.js';

/**
 * esbuild: `plugins: [spanweave()]` in the build options. Tagged files are loaded woven, in their
 * own language (with the loader the build configures for them) and their source map inline, which
 * esbuild chains into its own.
 */
export const spanweave = unplugin.esbuild;
export default spanweave;
