import { invalidArgument } from '../domain/api-error';
import { checkProjectId, quote } from '../domain/names';

/** Key ids: 1-63 letters, digits, `_` or `-` (as Cloud KMS allows). */
const KEY_ID = /^[A-Za-z0-9_-]{1,63}$/;

export interface KeyName {
  readonly projectId: string;
  readonly keyId: string;
}

/** Checks a client-chosen key id. */
export function checkKeyId(id: string): string {
  if (!KEY_ID.test(id)) throw invalidArgument(`keyId must be 1-63 letters, digits, "_" or "-", got ${quote(id)}`);
  return id;
}

/** Parses `projects/{project}/keys/{key}`. */
export function parseKeyName(name: string, field = 'name'): KeyName {
  const m = /^projects\/([^/]+)\/keys\/([^/]+)$/.exec(name);
  if (!m) throw invalidArgument(`${field} must look like "projects/{project}/keys/{key}", got ${quote(name)}`);
  return { projectId: checkProjectId(m[1]!, field), keyId: checkKeyId(m[2]!) };
}

/** Parses a key version reference: `projects/p/keys/k/versions/3`, or just `3` relative to `key`. */
export function parseVersion(text: string, key: KeyName, field = 'version'): number {
  const prefix = `${keyName(key)}/versions/`;
  const n = text.startsWith(prefix) ? text.slice(prefix.length) : text;
  if (!/^[1-9][0-9]{0,8}$/.test(n)) throw invalidArgument(`${field} must be a version number or "${prefix}{n}", got ${quote(text)}`);
  return Number(n);
}

export const keyName = (k: KeyName): string => `projects/${k.projectId}/keys/${k.keyId}`;
export const versionName = (k: KeyName, version: number): string => `${keyName(k)}/versions/${version}`;
