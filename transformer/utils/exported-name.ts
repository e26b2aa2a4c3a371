/**
 * `exports.x` and `module.exports.x` (as CommonJS output assigns an exported const) name `x`;
 * `exports.default`, an anonymous default export, the file (`fileBase`, its base name).
 */
export function exportedName(target: string, fileBase: string): string {
  const name = target.replace(/^(module\.)?exports\./, '');
  return name === 'default' ? fileBase : name;
}
