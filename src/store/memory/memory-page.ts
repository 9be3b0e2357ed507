import type { ListQuery, Page } from '../../domain/message-types';
import type { FilterFields } from '../filter-comparison';
import type { PageTokens } from '../page-token';
import { compareCodePoints, filterPredicate, type FieldValues } from './filter-evaluator';

/** What one keyset page over rows in memory needs (keyset-page.ts's KeysetRequest, with accessors for columns). */
export interface MemoryPageRequest<R> {
  /** The row's key: text (ordered as `COLLATE "C"`) or a number. */
  readonly key: (row: R) => string | number;
  /** Binds tokens to one list (and parent); the filter text is added to it. */
  readonly scope: string;
  readonly pageSize: number;
  readonly pageToken: string | undefined;
  readonly filter?: { readonly query: ListQuery; readonly fields: FilterFields; readonly values: FieldValues<R> };
}

/**
 * One page of rows in key order after the token's key, with the same tokens, checks and errors as keysetPage
 * on Postgres: the token is checked first, then the filter, and a next-page token is given only when another
 * row follows.
 */
export function memoryPage<R, T>(tokens: PageTokens, rows: readonly R[], req: MemoryPageRequest<R>, toItem: (row: R) => T): Page<T> {
  const scope = `${req.scope}|${req.filter?.query.filterText ?? ''}`;
  const after = tokens.decode(scope, req.pageToken);
  const expr = req.filter?.query.filter;
  const keep = expr && req.filter ? filterPredicate(expr, req.filter.fields, req.filter.values) : () => true;
  const compare = (a: string | number, b: string | number): number =>
    typeof a === 'number' || typeof b === 'number' ? Number(a) - Number(b) : compareCodePoints(a, b);
  const page = rows
    .filter((r) => keep(r) && (after === undefined || compare(req.key(r), after) > 0))
    .sort((a, b) => compare(req.key(a), req.key(b)))
    .slice(0, req.pageSize + 1);
  const more = page.length > req.pageSize;
  const items = more ? page.slice(0, req.pageSize) : page;
  return { items: items.map(toItem), nextPageToken: more ? tokens.encode(scope, String(req.key(items[items.length - 1]!))) : '' };
}
