import crypto from 'node:crypto';
import { ApiError } from '../domain/api-error';
import { quote } from '../domain/names';
import type { ResourceRecord } from '../domain/resources/resource-record';

/**
 * The etag of a resource's current state (AIP-154): a digest of its name, revision, times and spec. It moves with
 * every update, differs between a deleted resource and one created again under its name, and reads the same
 * from every replica and backend (keys are sorted, so jsonb's key order does not matter).
 */
export function etagOf(name: string, record: ResourceRecord<unknown>): string {
  const state = canonicalJson([name, record.revision, record.createTime, record.updateTime, record.spec]);
  return crypto.createHash('sha256').update(state).digest('base64url').slice(0, 22);
}

/** Throws ABORTED unless `expected` is absent or empty (unconditional) or the resource's current etag. */
export function checkEtag(singular: string, name: string, record: ResourceRecord<unknown>, expected: string | undefined): void {
  if (expected === undefined || expected === '' || expected === etagOf(name, record)) return;
  throw new ApiError(
    'ABORTED',
    `${singular} ${name} has changed since etag ${quote(expected)} was read; get it again and repeat the change with its new etag`,
  );
}

/** JSON with object keys sorted at every level. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
