import { parseFilter } from './filter/parse-filter';
import { effectivePageSize } from './page-size';
import type { JsonObject, ListQuery } from './message-types';

/** Builds a validated list query from a List*Request message (filter, pageSize, pageToken). */
export function listQuery(request: JsonObject): ListQuery {
  const filterText = typeof request.filter === 'string' ? request.filter : '';
  return {
    filter: parseFilter(filterText),
    filterText: filterText.trim(),
    pageSize: effectivePageSize(request.pageSize === undefined ? undefined : Number(request.pageSize)),
    pageToken: typeof request.pageToken === 'string' ? request.pageToken : undefined,
  };
}

/** Splits a FieldMask in JSON form ("a,b.c") into paths; undefined when absent or empty. */
export function maskPaths(mask: unknown): string[] | undefined {
  if (typeof mask !== 'string' || mask.trim() === '') return undefined;
  return mask
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}
