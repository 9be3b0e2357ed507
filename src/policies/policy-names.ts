import { invalidArgument } from '../domain/api-error';
import { quote } from '../domain/names';

/** Kubernetes namespace names are DNS labels (RFC 1123). */
export function checkNamespace(ns: string, field: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)) {
    throw invalidArgument(
      `${field} must be a Kubernetes namespace name (a DNS label: lower-case letters, digits and "-", at most 63), got ${quote(ns)}`,
    );
  }
  return ns;
}

/** Cluster names: 1-100 letters, digits, `.`, `_` or `-`, starting with a letter or digit. */
export function checkCluster(cluster: string, field = 'cluster'): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(cluster)) {
    throw invalidArgument(`${field} must be 1-100 letters, digits, ".", "_" or "-" starting with a letter or digit, got ${quote(cluster)}`);
  }
  return cluster;
}
