import { unplugin } from './unplugin.js';

export type { AdapterOptions } from './unplugin.js';

/** Rolldown: `plugins: [spanweave()]`; Rolldown strips the types itself, after the plugins' transforms. */
export const spanweave = unplugin.rolldown;
export default spanweave;
