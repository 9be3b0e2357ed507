import { invalidArgument } from '../domain/api-error';
import { quote } from '../domain/names';
import { pathGlob } from '../domain/path-glob';

/** Characters an allowlist pattern may hold: those of image references, plus `*`. */
const PATTERN = /^[A-Za-z0-9._:@/*-]{1,512}$/;

/** Checks an allowlist pattern (Binary Authorization semantics: `*` stays within one path segment, `**` crosses `/`). */
export function checkAllowlistPattern(pattern: string, field: string): string {
  if (!PATTERN.test(pattern) || /\*{3,}/.test(pattern)) {
    throw invalidArgument(
      `${field} ${quote(pattern)} must be an image name pattern like "registry.example.com/team/*" or "gcr.io/project/**"`,
    );
  }
  return pattern;
}

/** Compiles a pattern to a RegExp matching whole image names (registry/repository[:tag][@digest]). */
export function allowlistRegExp(pattern: string): RegExp {
  return pathGlob(pattern);
}
