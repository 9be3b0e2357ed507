import type { FilterExpr } from './filter/filter-ast';

/** A message in canonical proto3 JSON (lowerCamelCase keys, enum names, RFC 3339 times). */
export type JsonObject = Record<string, unknown>;
/** grafeas.v1.Note in canonical proto3 JSON. */
export type Note = JsonObject;
/** grafeas.v1.Occurrence in canonical proto3 JSON. */
export type Occurrence = JsonObject;

/** One page of a list and the token for the next one ('' on the last page). */
export interface Page<T> {
  readonly items: T[];
  readonly nextPageToken: string;
}

/** A list request after validation: the parsed filter, the effective page size and the raw token. */
export interface ListQuery {
  readonly filter: FilterExpr | undefined;
  readonly filterText: string;
  readonly pageSize: number;
  readonly pageToken: string | undefined;
}
