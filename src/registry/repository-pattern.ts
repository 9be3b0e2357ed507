import { invalidArgument } from '../domain/api-error';
import { quote } from '../domain/names';
import { pathGlob } from '../domain/path-glob';

/** Everything under the namespace. */
export const ALL_REPOSITORIES = '*';

const PATTERN = /^[a-z0-9._/*-]{1,255}$/;
const NAMESPACE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Checks a rule's repository glob: repository-path characters plus `*` (one segment) and `**` (any depth). */
export function checkRepositoryPattern(pattern: string, field: string): string {
  if (!PATTERN.test(pattern) || /\*{3,}/.test(pattern) || pattern.startsWith('/') || pattern.endsWith('/')) {
    throw invalidArgument(
      `${field} ${quote(pattern)} must be a repository glob below the namespace, e.g. "*" (all), "alpine", "team-*" or "apps/**"`,
    );
  }
  return pattern;
}

/** Checks a registry namespace: one repository path component (Docker's grammar). */
export function checkRegistryNamespace(namespace: string, field: string): string {
  if (!NAMESPACE.test(namespace) || namespace.length > 255) {
    throw invalidArgument(`${field} ${quote(namespace)} must be one lower-case repository path component, e.g. "kritis-demo"`);
  }
  return namespace;
}

/** True when `rest` (the repository below the namespace) matches the glob; a lone `*` matches everything. */
export function repositoryMatches(pattern: string, rest: string): boolean {
  if (rest === '') return false;
  if (pattern === ALL_REPOSITORIES) return true;
  return pathGlob(pattern).test(rest);
}

/** Splits `ns/rest/of/repo` into its namespace and the rest (empty when there is no `/`). */
export function splitRepository(repository: string): { namespace: string; rest: string } {
  const slash = repository.indexOf('/');
  return slash < 0 ? { namespace: repository, rest: '' } : { namespace: repository.slice(0, slash), rest: repository.slice(slash + 1) };
}
