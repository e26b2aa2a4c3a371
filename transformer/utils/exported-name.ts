/** `exports.x` and `module.exports.x` (as CommonJS output assigns an exported const) name `x`. */
export function exportedName(target: string): string {
  return target.replace(/^(module\.)?exports\./, '');
}
