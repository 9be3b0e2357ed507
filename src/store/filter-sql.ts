import type { FilterExpr } from '../domain/filter/filter-ast';
import { checkComparison, type CheckedComparison, type CompareOperator, type FilterFields } from './filter-comparison';

export type { FilterFields } from './filter-comparison';

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
      return comparison(checkComparison(expr, fields), bindings);
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

const SQL_OPS: Readonly<Record<CompareOperator, string>> = {
  '=': '=',
  '!=': 'IS DISTINCT FROM',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

function comparison(c: CheckedComparison, bindings: unknown[]): string {
  if (c.field.list) {
    const col = c.field.column;
    if (c.kind === 'string' && c.op === '=') {
      bindings.push(c.text);
      return `${col} @> ARRAY[CAST(? AS text)]`; // served by a GIN index on the column
    }
    const element = comparison({ ...c, field: { ...c.field, column: 'list_element', list: undefined } }, bindings);
    return `EXISTS (SELECT 1 FROM unnest(${col}) AS list_element WHERE ${element})`;
  }
  const col = c.field.column;
  switch (c.kind) {
    case 'present':
      return c.field.type === 'string' ? `(${col} IS NOT NULL AND ${col} <> '')` : `${col} IS NOT NULL`;
    case 'contains':
      bindings.push(`%${escapeLike(c.text)}%`);
      return `${col} LIKE ? ESCAPE '\\'`;
    case 'prefix':
      bindings.push(`${escapeLike(c.text)}%`);
      return c.op === '=' ? `${col} LIKE ? ESCAPE '\\'` : `(${col} LIKE ? ESCAPE '\\') IS NOT TRUE`;
    case 'string':
      bindings.push(c.text);
      if (c.op === '=' || c.op === '!=') return `${col} ${SQL_OPS[c.op]} ?`;
      return `${col} COLLATE "C" ${SQL_OPS[c.op]} ?`;
    case 'timestamp':
      bindings.push(c.value);
      return `${col} ${SQL_OPS[c.op]} CAST(? AS timestamptz)`;
    case 'number':
      bindings.push(c.value);
      return `${col} ${SQL_OPS[c.op]} CAST(? AS numeric)`;
    case 'enum':
    case 'bool':
      bindings.push(c.value);
      return `${col} ${SQL_OPS[c.op]} ?`;
  }
}

/** Escapes LIKE's metacharacters for `ESCAPE '\'`. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
