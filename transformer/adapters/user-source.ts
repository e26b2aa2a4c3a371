/** Source files an adapter looks at. */
export const SOURCE_FILE = /\.[cm]?[jt]sx?$/;

/** Anything under node_modules is someone else's build. */
export const NODE_MODULES = /[\\/]node_modules[\\/]/;

export const isUserSource = (fileName: string): boolean => SOURCE_FILE.test(fileName) && !NODE_MODULES.test(fileName);
