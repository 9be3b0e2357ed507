import { invalidArgument } from '../api-error';
import type { FilterComparison, FilterExpr, FilterValue } from './filter-ast';
import { describeToken, filterError, lexFilter, quoteForMessage, type FilterToken } from './filter-lexer';

/** Longest filter accepted, in UTF-16 code units. */
export const MAX_FILTER_LENGTH = 4096;
/** Deepest nesting of parentheses and negations accepted. */
export const MAX_FILTER_DEPTH = 64;
/** Most comparisons one filter may contain. */
export const MAX_FILTER_COMPARISONS = 100;

const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** A bare word that reads as a number. */
export const NUMBER_PATTERN = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;
const KEYWORDS = new Set(['AND', 'OR', 'NOT']);

/**
 * Parses an AIP-160 filter (see api/filter.md); empty or whitespace-only text means "no filter".
 * Every mistake is an INVALID_ARGUMENT naming a 0-based position.
 */
export function parseFilter(text: string | undefined): FilterExpr | undefined {
  if (text === undefined) return undefined;
  if (typeof text !== 'string') {
    // e.g. ?filter=a&filter=b reaching here as an array
    throw invalidArgument('filter must be a single string', [{ field: 'filter', description: 'must be a single string' }]);
  }
  if (text.trim() === '') return undefined;
  if (text.length > MAX_FILTER_LENGTH) {
    const message = `invalid filter: longer than ${MAX_FILTER_LENGTH} characters (got ${text.length})`;
    throw invalidArgument(message, [{ field: 'filter', description: message }]);
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) throw filterError(nul, 'U+0000 (NUL) is not allowed in a filter');
  return new Parser(lexFilter(text)).parse();
}

/**
 * Recursive descent over AIP-160's grammar, where OR binds tighter than AND:
 * expression = sequence {"AND" sequence}; sequence = factor {factor}; factor = term {"OR" term};
 * term = {"NOT" | "-"} simple; simple = restriction | "(" expression ")".
 */
class Parser {
  private i = 0;
  private depth = 0;
  private comparisons = 0;

  constructor(private readonly tokens: readonly FilterToken[]) {}

  parse(): FilterExpr {
    const expr = this.expression();
    const tok = this.peek();
    if (tok.type === 'rparen') throw filterError(tok.pos, 'unexpected ")" with no matching "("');
    if (tok.type !== 'eof') throw filterError(tok.pos, `expected AND, OR or another comparison, got ${describeToken(tok)}`);
    return expr;
  }

  private expression(): FilterExpr {
    const operands = [...this.sequence()];
    while (this.isKeyword(this.peek(), 'AND')) {
      this.next();
      operands.push(...this.sequence());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
  }

  /** Juxtaposed factors: an implicit AND, flattened into the enclosing expression. */
  private sequence(): FilterExpr[] {
    const factors = [this.factor()];
    while (this.startsTerm(this.peek())) factors.push(this.factor());
    return factors;
  }

  private factor(): FilterExpr {
    const operands = [this.term()];
    while (this.isKeyword(this.peek(), 'OR')) {
      this.next();
      operands.push(this.term());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
  }

  private term(): FilterExpr {
    const negations: FilterToken[] = [];
    for (let tok = this.peek(); tok.type === 'minus' || this.isKeyword(tok, 'NOT'); tok = this.peek()) {
      this.enter(tok);
      negations.push(this.next());
    }
    let expr = this.simple(negations[negations.length - 1], this.tokens[this.i - 1]);
    for (let k = 0; k < negations.length; k++) expr = { kind: 'not', operand: expr };
    this.depth -= negations.length;
    return expr;
  }

  /** A comparison or a parenthesised expression; `prev` is the token before it, for error messages. */
  private simple(negation: FilterToken | undefined, prev: FilterToken | undefined): FilterExpr {
    const tok = this.peek();
    if (tok.type === 'lparen') {
      this.enter(tok);
      this.next();
      const inner = this.expression();
      const close = this.peek();
      if (close.type !== 'rparen') {
        throw filterError(close.pos, `expected ")" to close the "(" at position ${tok.pos}, got ${describeToken(close)}`);
      }
      this.next();
      this.depth--;
      return inner;
    }
    if (tok.type === 'text' && !KEYWORDS.has(tok.text) && FIELD_PATH.test(tok.text)) return this.restriction();
    const after = negation ?? (prev?.type === 'text' && KEYWORDS.has(prev.text) ? prev : undefined);
    const where = after === undefined ? '' : ` after ${describeToken(after)}`;
    const hint = tok.type === 'text' && !KEYWORDS.has(tok.text) ? ' (a field name is letters, digits and "_", dot-separated)' : '';
    throw filterError(tok.pos, `expected a field name or "("${where}, got ${describeToken(tok)}${hint}`);
  }

  private restriction(): FilterComparison {
    const field = this.next() as FilterToken & { type: 'text' };
    const op = this.peek();
    if (op.type !== 'op') {
      throw filterError(
        op.pos,
        `expected a comparison operator (= != < <= > >= :) after ${quoteForMessage(field.text)}, got ${describeToken(op)}`,
      );
    }
    this.next();
    const valueTok = this.peek();
    const value = this.value(valueTok);
    if (value === undefined) throw filterError(valueTok.pos, `expected a value after "${op.op}", got ${describeToken(valueTok)}`);
    this.next();
    if (++this.comparisons > MAX_FILTER_COMPARISONS) {
      throw filterError(field.pos, `more than ${MAX_FILTER_COMPARISONS} comparisons in one filter`);
    }
    return { kind: 'compare', field: field.text, op: op.op, value, at: { field: field.pos, op: op.pos, value: valueTok.pos } };
  }

  /** A quoted string, or a bare word read as true/false, a number, or otherwise a string. */
  private value(tok: FilterToken): FilterValue | undefined {
    if (tok.type === 'string') return { kind: 'string', text: tok.text, wildcard: tok.wildcard };
    if (tok.type !== 'text' || KEYWORDS.has(tok.text)) return undefined;
    if (tok.text === 'true' || tok.text === 'false') return { kind: 'bool', value: tok.text === 'true' };
    if (NUMBER_PATTERN.test(tok.text)) return { kind: 'number', text: tok.text };
    const wildcard = tok.text.endsWith('*');
    return { kind: 'string', text: wildcard ? tok.text.slice(0, -1) : tok.text, wildcard };
  }

  private enter(tok: FilterToken): void {
    if (++this.depth > MAX_FILTER_DEPTH) {
      throw filterError(tok.pos, `parentheses and negations nested deeper than ${MAX_FILTER_DEPTH} levels`);
    }
  }

  private startsTerm(tok: FilterToken): boolean {
    return tok.type === 'lparen' || tok.type === 'minus' || (tok.type === 'text' && tok.text !== 'AND' && tok.text !== 'OR');
  }

  private isKeyword(tok: FilterToken, word: 'AND' | 'OR' | 'NOT'): boolean {
    return tok.type === 'text' && tok.text === word;
  }

  private peek(): FilterToken {
    return this.tokens[this.i]!;
  }

  private next(): FilterToken {
    return this.tokens[this.i++]!;
  }
}
