/**
 * Compiles a path glob to a RegExp over whole strings: `*` matches within one `/`-separated segment,
 * `**` matches across segments (Binary Authorization's allowlist semantics). Everything else is literal.
 */
export function pathGlob(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
