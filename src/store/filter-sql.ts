import { ApiError, invalidArgument } from '../domain/api-error';
import type { FilterComparison, FilterExpr, FilterOperator } from '../domain/filter/filter-ast';
import { filterError, quoteForMessage } from '../domain/filter/filter-lexer';
import { NUMBER_PATTERN } from '../domain/filter/parse-filter';

/** A field a filter may name: the trusted SQL column (or expression) behind it and how to compare it. */
export interface FilterField {
  column: string;
  type: 'string' | 'timestamp' | 'enum' | 'number' | 'bool';
  enumValues?: readonly string[];
}

/** The filterable fields of one resource, keyed by the name users write (`resourceUri`, `kind`). */
export type FilterFields = Readonly<Record<string, FilterField>>;

/** SQL for knex `whereRaw`; every `?` in `sql` is a placeholder, and `bindings` has one value per `?`. */
export interface CompiledFilter {
  sql: string;
  bindings: unknown[];
}

/**
 * Compiles a parsed filter to a parameterised SQL condition. Column names come only from `fields`; user
 * values only ever go into `bindings`. The result is safe to AND with other conditions without parentheses.
 */
export function compileFilter(expr: FilterExpr, fields: FilterFields): CompiledFilter {
  const bindings: unknown[] = [];
  const sql = compile(expr, fields, bindings);
  return { sql, bindings };
}

function compile(expr: FilterExpr, fields: FilterFields, bindings: unknown[]): string {
  switch (expr.kind) {
    case 'compare':
      return comparison(expr, lookUp(expr, fields), bindings);
    case 'not': {
      // IS NOT TRUE rather than NOT: a comparison on a NULL column is NULL, and NOT NULL would drop the row.
      const inner = compile(expr.operand, fields, bindings);
      return `${expr.operand.kind === 'and' || expr.operand.kind === 'or' ? inner : `(${inner})`} IS NOT TRUE`;
    }
    case 'and':
    case 'or': {
      const sep = expr.kind === 'and' ? ' AND ' : ' OR ';
      return `(${expr.operands.map((o) => compile(o, fields, bindings)).join(sep)})`;
    }
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

const SQL_OPS: Readonly<Record<Exclude<FilterOperator, ':'>, string>> = {
  '=': '=',
  '!=': 'IS DISTINCT FROM',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

const OPS_BY_TYPE: Readonly<Record<FilterField['type'], readonly FilterOperator[]>> = {
  string: ['=', '!=', '<', '<=', '>', '>=', ':'],
  timestamp: ['=', '!=', '<', '<=', '>', '>='],
  number: ['=', '!=', '<', '<=', '>', '>='],
  enum: ['=', '!='],
  bool: ['=', '!='],
};

function comparison(expr: FilterComparison, field: FilterField, bindings: unknown[]): string {
  const { column: col, type } = field;
  const { op, value } = expr;
  if (op === ':' && value.kind === 'string' && value.wildcard && value.text === '') {
    // AIP-160 presence test `field:*`; proto3 treats an empty string as unset.
    return type === 'string' ? `(${col} IS NOT NULL AND ${col} <> '')` : `${col} IS NOT NULL`;
  }
  if (!OPS_BY_TYPE[type].includes(op)) {
    const allowed = OPS_BY_TYPE[type].join(' ');
    throw filterError(
      expr.at.op,
      `operator "${op}" is not supported for ${type} field "${expr.field}"; use ${allowed} (or ":*" to test presence)`,
    );
  }
  const sqlOp = SQL_OPS[op as Exclude<FilterOperator, ':'>];
  if (type === 'string') return stringComparison(expr, col, bindings);
  if (value.kind === 'string' && value.wildcard) {
    throw filterError(expr.at.value, `a wildcard "*" only works on string fields, and "${expr.field}" is a ${type} field`);
  }
  switch (type) {
    case 'timestamp':
      bindings.push(timestampValue(expr));
      return `${col} ${sqlOp} CAST(? AS timestamptz)`;
    case 'number':
      bindings.push(numberValue(expr));
      return `${col} ${sqlOp} CAST(? AS numeric)`;
    case 'enum':
      bindings.push(enumValue(expr, field.enumValues ?? []));
      return `${col} ${sqlOp} ?`;
    case 'bool':
      bindings.push(boolValue(expr));
      return `${col} ${sqlOp} ?`;
  }
}

function stringComparison(expr: FilterComparison, col: string, bindings: unknown[]): string {
  const { op, value } = expr;
  const text = value.kind === 'string' ? value.text : value.kind === 'number' ? value.text : String(value.value);
  const wildcard = value.kind === 'string' && value.wildcard;
  if (op === ':') {
    bindings.push(`%${escapeLike(text)}%`);
    return `${col} LIKE ? ESCAPE '\\'`;
  }
  if (wildcard && op !== '=' && op !== '!=') {
    throw filterError(
      expr.at.value,
      `a trailing "*" (prefix match) only works with =, != and :; to compare with a literal star, quote the value and write \\*`,
    );
  }
  if (wildcard) {
    bindings.push(`${escapeLike(text)}%`);
    return op === '=' ? `${col} LIKE ? ESCAPE '\\'` : `(${col} LIKE ? ESCAPE '\\') IS NOT TRUE`;
  }
  bindings.push(text);
  if (op === '=' || op === '!=') return `${col} ${SQL_OPS[op]} ?`;
  return `${col} COLLATE "C" ${SQL_OPS[op]} ?`;
}

/** Escapes LIKE's metacharacters for `ESCAPE '\'`. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function badValue(expr: FilterComparison, type: string, expected: string): ApiError {
  const v = expr.value;
  const got = v.kind === 'string' ? quoteForMessage(v.text + (v.wildcard ? '*' : '')) : v.kind === 'number' ? v.text : String(v.value);
  return filterError(expr.at.value, `${type} field "${expr.field}" needs ${expected}, got ${got}`);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Validates an RFC 3339 timestamp (offset required, no leap second) and returns it with T and Z upper-cased. */
function timestampValue(expr: FilterComparison): string {
  const text = expr.value.kind === 'string' ? expr.value.text.toUpperCase() : '';
  const m = RFC3339.exec(text);
  const n = (k: number): number => Number(m?.[k] ?? 0);
  const leap = n(1) % 4 === 0 && (n(1) % 100 !== 0 || n(1) % 400 === 0);
  const dayMax = n(2) === 2 && !leap ? 28 : (DAYS_IN_MONTH[n(2) - 1] ?? 0);
  const ok = m !== null && n(1) >= 1 && n(3) >= 1 && n(3) <= dayMax && n(4) <= 23 && n(5) <= 59 && n(6) <= 59 && n(9) <= 23 && n(10) <= 59;
  if (!ok) throw badValue(expr, 'timestamp', 'an RFC 3339 timestamp such as "2024-01-01T00:00:00Z" or "2024-01-01T02:00:00+02:00"');
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
