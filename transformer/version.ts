/** spanweave's version, as installed: it keys ts-jest's cache and the incremental-build stamp. */
export const version: string = (require('spanweave/package.json') as { version: string }).version;
