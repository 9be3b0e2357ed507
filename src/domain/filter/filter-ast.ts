/** A comparison operator of the AIP-160 filter language; `:` is "has". */
export type FilterOperator = '=' | '!=' | '<' | '<=' | '>' | '>=' | ':';

/** Every comparison operator, in the order the grammar lists them. */
export const FILTER_OPERATORS: readonly FilterOperator[] = ['=', '!=', '<', '<=', '>', '>=', ':'];

/**
 * The right-hand side of a comparison. Quoted strings and bare words are both `string`; a string whose
 * last character was an unescaped `*` has `wildcard: true` and `text` without that star.
 */
export type FilterValue =
  | { readonly kind: 'string'; readonly text: string; readonly wildcard: boolean }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'bool'; readonly value: boolean };

/** 0-based offsets (UTF-16 code units) of a comparison's parts in the filter text, for error messages. */
export interface FilterPositions {
  readonly field: number;
  readonly op: number;
  readonly value: number;
}

/** `field op value`, e.g. `kind = ATTESTATION`. */
export interface FilterComparison {
  readonly kind: 'compare';
  readonly field: string;
  readonly op: FilterOperator;
  readonly value: FilterValue;
  readonly at: FilterPositions;
}

/** All operands hold (explicit `AND` or juxtaposition); always two or more operands. */
export interface FilterAnd {
  readonly kind: 'and';
  readonly operands: readonly FilterExpr[];
}

/** At least one operand holds; always two or more operands. */
export interface FilterOr {
  readonly kind: 'or';
  readonly operands: readonly FilterExpr[];
}

/** `NOT x` or `-x`. */
export interface FilterNot {
  readonly kind: 'not';
  readonly operand: FilterExpr;
}

/** A parsed filter. Parenthesised groups stay nested; runs of the same operator are flattened. */
export type FilterExpr = FilterAnd | FilterOr | FilterNot | FilterComparison;

/** Prints a filter as text that parseFilter reads back to the same tree (positions aside). */
export function printFilter(expr: FilterExpr): string {
  switch (expr.kind) {
    case 'compare':
      return `${expr.field} ${expr.op} ${printValue(expr.value)}`;
    case 'not':
      return expr.operand.kind === 'compare' ? `NOT ${printFilter(expr.operand)}` : `NOT (${printFilter(expr.operand)})`;
    case 'and':
    case 'or': {
      const sep = expr.kind === 'and' ? ' AND ' : ' OR ';
      return expr.operands.map((o) => (o.kind === 'and' || o.kind === 'or' ? `(${printFilter(o)})` : printFilter(o))).join(sep);
    }
  }
}

/** Prints a value as a literal: strings always double-quoted, with every literal `*` escaped. */
export function printValue(value: FilterValue): string {
  switch (value.kind) {
    case 'number':
      return value.text;
    case 'bool':
      return value.value ? 'true' : 'false';
    case 'string':
      return `"${escapeString(value.text)}${value.wildcard ? '*' : ''}"`;
  }
}

function escapeString(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\' || ch === '*') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f || (code >= 0xd800 && code <= 0xdfff)) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}
