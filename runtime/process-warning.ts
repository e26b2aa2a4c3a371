import { diag } from './api.js';

const warned = new Set<string>();

/**
 * Warns once per `key` as a process warning, which Node prints by default (diag prints nothing
 * unless the app set a logger); through diag where there is no process.
 */
export function warnOnce(key: string, code: string, message: () => string): void {
  if (warned.has(key)) return;
  warned.add(key);
  const node = globalThis.process;
  if (typeof node?.emitWarning === 'function') node.emitWarning(message(), { code });
  else diag.warn(message());
}
