import { invalidArgument } from '../domain/api-error';
import { quote } from '../domain/names';

/** Characters an allowlist pattern may hold: those of image references, plus `*`. */
const PATTERN = /^[A-Za-z0-9._:@/*-]{1,512}$/;

/** Checks an allowlist pattern (Binary Authorization semantics: `*` stays within one path segment, `**` crosses `/`). */
export function checkAllowlistPattern(pattern: string, field: string): string {
  if (!PATTERN.test(pattern) || /\*{3,}/.test(pattern)) {
    throw invalidArgument(`${field} ${quote(pattern)} must be an image name pattern like "registry.example.com/team/*" or "gcr.io/project/**"`);
  }
  return pattern;
}

/** Compiles a pattern to a RegExp matching whole image names (registry/repository[:tag][@digest]). */
export function allowlistRegExp(pattern: string): RegExp {
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
