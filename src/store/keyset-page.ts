import type { Knex } from 'knex';
import type { ListQuery } from '../domain/message-types';
import { compileFilter, type FilterFields } from './filter-sql';
import type { PageTokens } from './page-token';

/** What one keyset page needs: the rows' key column, the token scope and the page request. */
export interface KeysetRequest {
  readonly keyColumn: string;
  /** Binds tokens to one list (and parent); the filter text is added to it. */
  readonly scope: string;
  readonly pageSize: number;
  readonly pageToken: string | undefined;
  /** An optional filter, compiled to parameterized SQL over `fields`. */
  readonly filter?: { readonly query: ListQuery; readonly fields: FilterFields };
}

/**
 * Runs a keyset-paged query: rows after the token's key in key order, one extra row to know whether
 * another page follows. Constant cost at any depth; tokens are bound to the scope and filter.
 */
export async function keysetPage<Row extends Record<string, unknown>, T>(
  tokens: PageTokens,
  base: Knex.QueryBuilder,
  req: KeysetRequest,
  toItem: (row: Row) => T,
): Promise<{ items: T[]; nextPageToken: string }> {
  const scope = `${req.scope}|${req.filter?.query.filterText ?? ''}`;
  const after = tokens.decode(scope, req.pageToken);
  if (req.filter?.query.filter) {
    const { sql, bindings } = compileFilter(req.filter.query.filter, req.filter.fields);
    base.whereRaw(`(${sql})`, bindings as Knex.RawBinding[]);
  }
  if (after !== undefined) base.where(req.keyColumn, '>', after);
  const rows: Row[] = await base.orderBy(req.keyColumn, 'asc').limit(req.pageSize + 1);
  const more = rows.length > req.pageSize;
  const page = more ? rows.slice(0, req.pageSize) : rows;
  const nextPageToken = more ? tokens.encode(scope, String(page[page.length - 1]![req.keyColumn])) : '';
  return { items: page.map(toItem), nextPageToken };
}

/** A list request without a filter. */
export function plainPage(keyColumn: string, scope: string, pageSize: number, pageToken: string | undefined): KeysetRequest {
  return { keyColumn, scope, pageSize, pageToken };
}
