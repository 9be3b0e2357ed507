import { ApiError, invalidArgument } from '../domain/api-error';
import type { FilterComparison, FilterOperator } from '../domain/filter/filter-ast';
import { filterError, quoteForMessage } from '../domain/filter/filter-lexer';
import { NUMBER_PATTERN } from '../domain/filter/parse-filter';

/** A field a filter may name: the trusted SQL column (or expression) behind it and how to compare it. */
export interface FilterField {
  column: string;
  type: 'string' | 'timestamp' | 'enum' | 'number' | 'bool';
  enumValues?: readonly string[];
  /**
   * The column holds a list (a `text[]` of strings): the comparison holds when one element satisfies it.
   * Only `=` (exact, or a prefix with a trailing `*`), `:` (contains) and `:*` (a non-empty element) apply.
   */
  list?: true;
}

/** The filterable fields of one resource, keyed by the name users write (`resourceUri`, `kind`). */
export type FilterFields = Readonly<Record<string, FilterField>>;

/** An ordering or equality operator (every operator but `:`). */
export type CompareOperator = Exclude<FilterOperator, ':'>;

/**
 * A comparison checked against its field: the field is known, the operator fits its type and the value is
 * normalized. `present` is `field:*` (set: not NULL, and for strings not empty); `contains` is `field:text` on a
 * string; `prefix` is `field=text*` or `field!=text*`; timestamps are RFC 3339 with T and Z upper-cased; numbers
 * are decimal literals (NUMBER_PATTERN, exponent at most 1000); enums are one of the field's names. The SQL
 * compiler (filter-sql.ts) and the in-memory evaluator (memory/filter-evaluator.ts) each give these one meaning.
 */
export type CheckedComparison = { readonly field: FilterField } & (
  | { readonly kind: 'present' }
  | { readonly kind: 'contains'; readonly text: string }
  | { readonly kind: 'prefix'; readonly op: '=' | '!='; readonly text: string }
  | { readonly kind: 'string'; readonly op: CompareOperator; readonly text: string }
  | { readonly kind: 'timestamp'; readonly op: CompareOperator; readonly value: string }
  | { readonly kind: 'number'; readonly op: CompareOperator; readonly value: string }
  | { readonly kind: 'enum'; readonly op: '=' | '!='; readonly value: string }
  | { readonly kind: 'bool'; readonly op: '=' | '!='; readonly value: boolean }
);

const OPS_BY_TYPE: Readonly<Record<FilterField['type'], readonly FilterOperator[]>> = {
  string: ['=', '!=', '<', '<=', '>', '>=', ':'],
  timestamp: ['=', '!=', '<', '<=', '>', '>='],
  number: ['=', '!=', '<', '<=', '>', '>='],
  enum: ['=', '!='],
  bool: ['=', '!='],
};

/** Checks one comparison against the resource's fields; every mistake is an INVALID_ARGUMENT naming the fix. */
export function checkComparison(expr: FilterComparison, fields: FilterFields): CheckedComparison {
  const field = lookUp(expr, fields);
  const { type } = field;
  const { op, value } = expr;
  if (op === ':' && value.kind === 'string' && value.wildcard && value.text === '') {
    // AIP-160 presence test `field:*`; proto3 treats an empty string as unset.
    return { field, kind: 'present' };
  }
  if (field.list && op !== '=' && op !== ':') {
    throw filterError(
      expr.at.op,
      `operator "${op}" is not supported for "${expr.field}", which holds a list; use = (an element equals, or with a trailing * starts with) or : (an element contains), and NOT for the opposite`,
    );
  }
  if (!OPS_BY_TYPE[type].includes(op)) {
    const allowed = OPS_BY_TYPE[type].join(' ');
    throw filterError(
      expr.at.op,
      `operator "${op}" is not supported for ${type} field "${expr.field}"; use ${allowed} (or ":*" to test presence)`,
    );
  }
  if (type === 'string') return stringComparison(expr, field);
  if (value.kind === 'string' && value.wildcard) {
    throw filterError(expr.at.value, `a wildcard "*" only works on string fields, and "${expr.field}" is a ${type} field`);
  }
  const cmp = op as CompareOperator;
  switch (type) {
    case 'timestamp':
      return { field, kind: 'timestamp', op: cmp, value: timestampValue(expr) };
    case 'number':
      return { field, kind: 'number', op: cmp, value: numberValue(expr) };
    case 'enum':
      return { field, kind: 'enum', op: cmp as '=' | '!=', value: enumValue(expr, field.enumValues ?? []) };
    case 'bool':
      return { field, kind: 'bool', op: cmp as '=' | '!=', value: boolValue(expr) };
  }
}

function lookUp(expr: FilterComparison, fields: FilterFields): FilterField {
  const field = Object.prototype.hasOwnProperty.call(fields, expr.field) ? fields[expr.field] : undefined;
  if (field === undefined) {
    throw invalidArgument(
      `unknown filter field ${quoteForMessage(expr.field)} at position ${expr.at.field}; filterable fields: ${Object.keys(fields).join(', ')}`,
      [{ field: 'filter', description: `unknown filter field ${quoteForMessage(expr.field)}` }],
    );
  }
  if (field.column.includes('?')) throw new ApiError('INTERNAL', `filter column for "${expr.field}" contains "?"`);
  return field;
}

function stringComparison(expr: FilterComparison, field: FilterField): CheckedComparison {
  const { op, value } = expr;
  const text = value.kind === 'string' ? value.text : value.kind === 'number' ? value.text : String(value.value);
  const wildcard = value.kind === 'string' && value.wildcard;
  if (op === ':') return { field, kind: 'contains', text };
  if (wildcard) {
    if (op === '=' || op === '!=') return { field, kind: 'prefix', op, text };
    throw filterError(
      expr.at.value,
      `a trailing "*" (prefix match) only works with =, != and :; to compare with a literal star, quote the value and write \\*`,
    );
  }
  return { field, kind: 'string', op, text };
}

function badValue(expr: FilterComparison, type: string, expected: string): ApiError {
  const v = expr.value;
  const got = v.kind === 'string' ? quoteForMessage(v.text + (v.wildcard ? '*' : '')) : v.kind === 'number' ? v.text : String(v.value);
  return filterError(expr.at.value, `${type} field "${expr.field}" needs ${expected}, got ${got}`);
}

/** RFC 3339 with the offset required, upper case; groups: year, month, day, hour, minute, second, fraction, offset, offset hour, offset minute. */
export const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Validates an RFC 3339 timestamp (offset required, no leap second) and returns it with T and Z upper-cased. */
function timestampValue(expr: FilterComparison): string {
  const text = expr.value.kind === 'string' ? expr.value.text.toUpperCase() : '';
  const m = RFC3339.exec(text);
  const n = (k: number): number => Number(m?.[k] ?? 0);
  const leap = n(1) % 4 === 0 && (n(1) % 100 !== 0 || n(1) % 400 === 0);
  const dayMax = n(2) === 2 && !leap ? 28 : (DAYS_IN_MONTH[n(2) - 1] ?? 0);
  const ok = m !== null && n(1) >= 1 && n(3) >= 1 && n(3) <= dayMax && n(4) <= 23 && n(5) <= 59 && n(6) <= 59 && n(10) <= 59;
  if (!ok) throw badValue(expr, 'timestamp', 'an RFC 3339 timestamp such as "2024-01-01T00:00:00Z" or "2024-01-01T02:00:00+02:00"');
  // Postgres takes UTC offsets below 16 hours (real ones reach ±14:00).
  if (n(9) > 15) throw badValue(expr, 'timestamp', 'a UTC offset from -15:59 to +15:59');
  return text;
}

function numberValue(expr: FilterComparison): string {
  const v = expr.value;
  if ((v.kind === 'number' || v.kind === 'string') && NUMBER_PATTERN.test(v.text)) {
    // Postgres numeric rejects exponents beyond about ±16383 with an error; keep to what it stores.
    const exponent = Math.abs(Number(/[eE]([+-]?\d+)$/.exec(v.text)?.[1] ?? 0));
    if (exponent <= 1000) return v.text;
  }
  throw badValue(expr, 'number', 'a number such as 42, -1.5 or 1e3');
}

function enumValue(expr: FilterComparison, names: readonly string[]): string {
  const v = expr.value;
  if (v.kind === 'string' && names.includes(v.text)) return v.text;
  if (v.kind === 'number' && /^\d+$/.test(v.text) && Number(v.text) < names.length) return names[Number(v.text)]!;
  throw badValue(expr, 'enum', `one of ${names.join(', ')} (or its number)`);
}

function boolValue(expr: FilterComparison): boolean {
  const v = expr.value;
  if (v.kind === 'bool') return v.value;
  if (v.kind === 'string' && (v.text === 'true' || v.text === 'false')) return v.text === 'true';
  throw badValue(expr, 'bool', 'true or false');
}
