import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const modulePackages = new Map<string, boolean>();

/**
 * Whether the nearest package.json at or above `dir` says `"type": "module"`: Node's rule (and
 * TypeScript's, for node16 and nodenext) for the format of a `.js` or `.ts` file. A package.json
 * that does not parse is passed over.
 */
export function isModulePackage(dir: string): boolean {
  let answer = modulePackages.get(dir);
  if (answer !== undefined) return answer;
  try {
    answer = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: string }).type === 'module';
  } catch {
    const parent = dirname(dir);
    answer = parent !== dir && isModulePackage(parent);
  }
  modulePackages.set(dir, answer);
  return answer;
}
