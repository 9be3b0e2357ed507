import { invalidArgument, type ApiError } from '../api-error';
import type { FilterOperator } from './filter-ast';

/** One lexical token of a filter; `pos` and `end` are 0-based offsets into the filter text. */
export type FilterToken =
  | { readonly type: 'lparen' | 'rparen' | 'minus' | 'eof'; readonly pos: number; readonly end: number }
  | { readonly type: 'op'; readonly op: FilterOperator; readonly pos: number; readonly end: number }
  | { readonly type: 'string'; readonly text: string; readonly wildcard: boolean; readonly pos: number; readonly end: number }
  | { readonly type: 'text'; readonly text: string; readonly pos: number; readonly end: number };

/** The INVALID_ARGUMENT every filter mistake becomes: `invalid filter at position N: …`. */
export function filterError(pos: number, detail: string): ApiError {
  const message = `invalid filter at position ${pos}: ${detail}`;
  return invalidArgument(message, [{ field: 'filter', description: message }]);
}

/** Quotes user text for an error message, shortened so one message never echoes a whole filter. */
export function quoteForMessage(text: string): string {
  const max = 40;
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** How a token reads in "got …" messages. */
export function describeToken(tok: FilterToken): string {
  switch (tok.type) {
    case 'eof':
      return 'end of input';
    case 'lparen':
      return '"("';
    case 'rparen':
      return '")"';
    case 'minus':
      return '"-"';
    case 'op':
      return `"${tok.op}"`;
    case 'string':
      return `string ${quoteForMessage(tok.text + (tok.wildcard ? '*' : ''))}`;
    case 'text':
      return quoteForMessage(tok.text);
  }
}

const SPACE = /\s/;
const OPERATOR_START = '=!<>:';
const QUOTES = `"'`;

/**
 * Splits a filter into tokens. Right after a comparison operator the lexer is in value mode: `-` starts a
 * bare value (`x=-5`) instead of negating, and a bare value may contain `=`, `:`, `<`, `>` and `!`
 * (`createTime>2024-01-01T00:00:00Z`); everywhere a bare word ends at whitespace, a parenthesis or a quote.
 */
export function lexFilter(src: string): FilterToken[] {
  const tokens: FilterToken[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const valueMode = tokens.length > 0 && tokens[tokens.length - 1]!.type === 'op';
    if (SPACE.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ type: c === '(' ? 'lparen' : 'rparen', pos: i, end: i + 1 });
      i++;
    } else if (QUOTES.includes(c)) {
      const tok = readString(src, i);
      tokens.push(tok);
      i = tok.end;
    } else if (OPERATOR_START.includes(c)) {
      const op = readOperator(src, i);
      tokens.push({ type: 'op', op, pos: i, end: i + op.length });
      i += op.length;
    } else if (c === '-' && !valueMode) {
      tokens.push({ type: 'minus', pos: i, end: i + 1 });
      i++;
    } else {
      const start = i;
      while (i < src.length && !endsBareWord(src[i]!, valueMode)) i++;
      tokens.push({ type: 'text', text: src.slice(start, i), pos: start, end: i });
    }
  }
  tokens.push({ type: 'eof', pos: src.length, end: src.length });
  return tokens;
}

function endsBareWord(c: string, valueMode: boolean): boolean {
  return SPACE.test(c) || c === '(' || c === ')' || QUOTES.includes(c) || (!valueMode && OPERATOR_START.includes(c));
}

function readOperator(src: string, i: number): FilterOperator {
  const c = src[i]!;
  const eq = src[i + 1] === '=';
  switch (c) {
    case '<':
      return eq ? '<=' : '<';
    case '>':
      return eq ? '>=' : '>';
    case '!':
      if (eq) return '!=';
      throw filterError(i, 'unexpected "!"; the not-equal operator is "!=" and negation is NOT or "-"');
    case ':':
      return ':';
    default:
      return '=';
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', '"': '"', "'": "'", n: '\n', t: '\t', r: '\r' };

/** Reads a quoted string starting at `start`; a final unescaped `*` becomes `wildcard`, `\*` is a literal star. */
function readString(src: string, start: number): FilterToken & { type: 'string' } {
  const quote = src[start]!;
  let text = '';
  let trailingStar = false;
  let i = start + 1;
  for (;;) {
    if (i >= src.length) throw filterError(start, `unterminated string: no closing ${quote} for the quote here`);
    const c = src[i]!;
    if (c === quote) break;
    if (c !== '\\') {
      text += c;
      trailingStar = c === '*';
      i++;
      continue;
    }
    const e = src[i + 1];
    if (e === undefined) throw filterError(start, `unterminated string: no closing ${quote} for the quote here`);
    if (e === '*') {
      text += '*';
    } else if (e === 'u') {
      const hex = src.slice(i + 2, i + 6);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw filterError(i, 'a \\u escape needs exactly 4 hex digits, as in \\u00e9');
      const code = parseInt(hex, 16);
      if (code === 0) throw filterError(i, 'U+0000 (NUL) is not allowed in a filter');
      text += String.fromCharCode(code);
      i += 4;
    } else if (SIMPLE_ESCAPES[e] !== undefined) {
      text += SIMPLE_ESCAPES[e];
    } else {
      const seq = /^[\x21-\x7e]$/.test(e)
        ? `"\\${e}"`
        : `"\\" followed by U+${e.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
      throw filterError(i, `unknown escape ${seq} in string; valid escapes: \\" \\' \\\\ \\* \\n \\t \\r \\uXXXX`);
    }
    trailingStar = false;
    i += 2;
  }
  if (trailingStar) text = text.slice(0, -1);
  return { type: 'string', text, wildcard: trailingStar, pos: start, end: i + 1 };
}
