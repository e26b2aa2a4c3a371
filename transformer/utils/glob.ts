/**
 * A matcher for path globs: `**` any number of directories, `*` any characters but `/`, `?` one
 * such character; a pattern without a glob character also matches everything below it as a
 * directory. Paths and patterns use `/` (Windows separators are turned into it).
 */
export function globMatcher(patterns: readonly string[]): (path: string) => boolean {
  const expressions = patterns.map((pattern) => new RegExp(`^${toRegExp(slashes(pattern).replace(/\/$/, ''))}(/.*)?$`));
  return (path) => expressions.some((expression) => expression.test(slashes(path)));
}

const slashes = (path: string): string => path.replace(/\\/g, '/');

function toRegExp(pattern: string): string {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      source += slash ? '(.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return source;
}
