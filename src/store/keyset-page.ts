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

/**
 * keysetPage for a list written as SQL: `from` is "FROM … WHERE …" with `?` bindings. It builds the statement
 * text directly instead of through a query builder, which the hottest list (ListOccurrences) paid per request
 * (docs/performance.md, "Round 5"); the statement and the tokens are the same as keysetPage's.
 */
export async function keysetPageSql<Row extends Record<string, unknown>, T>(
  db: Knex,
  tokens: PageTokens,
  from: string,
  bindings: readonly Knex.RawBinding[],
  req: KeysetRequest,
  toItem: (row: Row) => T,
): Promise<{ items: T[]; nextPageToken: string }> {
  const scope = `${req.scope}|${req.filter?.query.filterText ?? ''}`;
  const after = tokens.decode(scope, req.pageToken);
  let sql = `SELECT ${req.keyColumn}, body ${from}`;
  const values = [...bindings];
  if (req.filter?.query.filter) {
    const compiled = compileFilter(req.filter.query.filter, req.filter.fields);
    sql += ` AND (${compiled.sql})`;
    values.push(...(compiled.bindings as Knex.RawBinding[]));
  }
  if (after !== undefined) {
    sql += ` AND ${req.keyColumn} > ?`;
    values.push(after);
  }
  sql += ` ORDER BY ${req.keyColumn} ASC LIMIT ?`;
  values.push(req.pageSize + 1);
  const rows: Row[] = (await db.raw<{ rows: Row[] }>(sql, values)).rows;
  const more = rows.length > req.pageSize;
  const page = more ? rows.slice(0, req.pageSize) : rows;
  const nextPageToken = more ? tokens.encode(scope, String(page[page.length - 1]![req.keyColumn])) : '';
  return { items: page.map(toItem), nextPageToken };
}
