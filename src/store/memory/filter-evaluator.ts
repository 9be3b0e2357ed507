import type { FilterExpr } from '../../domain/filter/filter-ast';
import { checkComparison, RFC3339, type CheckedComparison, type CompareOperator, type FilterFields } from '../filter-comparison';

/** A row's value for one filter field, as its column would hold it (null or undefined = SQL NULL). */
export type FilterColumnValue = string | number | boolean | null | undefined;

/** What an accessor reads: a column value, or the elements of a list field. */
type FieldValue = FilterColumnValue | readonly string[];

/** How to read each filterable field from a row: one accessor per key of the resource's FilterFields. */
export type FieldValues<R> = Readonly<Record<string, (row: R) => FieldValue>>;

/** SQL's three truth values: NULL is `null`. */
type Truth = boolean | null;

/**
 * Compiles a parsed filter to a predicate over rows with the meaning filter-sql.ts gives it on Postgres:
 * the same checks and errors (thrown here, before any row is read), three-valued logic where a comparison
 * with a NULL column is NULL, `NOT` as `IS NOT TRUE`, `!=` as `IS DISTINCT FROM`, ordering in code point
 * order (`COLLATE "C"`), timestamps compared as instants at microsecond precision, integers exactly.
 */
export function filterPredicate<R>(expr: FilterExpr, fields: FilterFields, values: FieldValues<R>): (row: R) => boolean {
  const test = compile(expr, fields, values);
  return (row) => test(row) === true;
}

/** Throws unless `values` reads exactly the fields `fields` declares (a programming error, not a user's). */
export function assertSameFields(fields: FilterFields, values: FieldValues<never>): void {
  const a = Object.keys(fields).sort().join(',');
  const b = Object.keys(values).sort().join(',');
  if (a !== b) throw new Error(`filter fields (${a}) and in-memory field accessors (${b}) differ`);
}

function compile<R>(expr: FilterExpr, fields: FilterFields, values: FieldValues<R>): (row: R) => Truth {
  switch (expr.kind) {
    case 'compare': {
      const checked = checkComparison(expr, fields);
      const read = values[expr.field];
      if (!read) throw new Error(`no in-memory accessor for filter field "${expr.field}"`);
      if (checked.field.list) {
        // One element satisfies it (SQL: EXISTS over unnest): true or false, never NULL.
        const element = comparison({ ...checked, field: { ...checked.field, list: undefined } });
        return (row) => {
          const v = read(row);
          return Array.isArray(v) && (v as readonly string[]).some((e) => element(e) === true);
        };
      }
      const test = comparison(checked);
      return (row) => {
        const v = read(row);
        if (Array.isArray(v)) throw new Error(`filter field "${expr.field}" reads a list but is not declared a list field`);
        return test(v as FilterColumnValue);
      };
    }
    case 'not': {
      const inner = compile(expr.operand, fields, values);
      return (row) => inner(row) !== true;
    }
    case 'and': {
      const parts = expr.operands.map((o) => compile(o, fields, values));
      return (row) => {
        let result: Truth = true;
        for (const p of parts) {
          const t = p(row);
          if (t === false) return false;
          if (t === null) result = null;
        }
        return result;
      };
    }
    case 'or': {
      const parts = expr.operands.map((o) => compile(o, fields, values));
      return (row) => {
        let result: Truth = false;
        for (const p of parts) {
          const t = p(row);
          if (t === true) return true;
          if (t === null) result = null;
        }
        return result;
      };
    }
  }
}

function comparison(c: CheckedComparison): (value: FilterColumnValue) => Truth {
  switch (c.kind) {
    case 'present':
      return (v) => v !== null && v !== undefined && (c.field.type !== 'string' || v !== '');
    case 'contains':
      return (v) => (isNull(v) ? null : String(v).includes(c.text));
    case 'prefix':
      // `!=` is `(col LIKE …) IS NOT TRUE`: a NULL column passes.
      return c.op === '=' ? (v) => (isNull(v) ? null : String(v).startsWith(c.text)) : (v) => isNull(v) || !String(v).startsWith(c.text);
    case 'string':
      return ordered(c.op, (v) => compareCodePoints(String(v), c.text));
    case 'timestamp': {
      const wanted = timestampMicros(c.value);
      return ordered(c.op, (v) => compareBig(timestampMicros(String(v)), wanted));
    }
    case 'number': {
      const wanted = decimal(c.value);
      return ordered(c.op, (v) => compareNumber(v, wanted));
    }
    case 'enum':
    case 'bool':
      return ordered(c.op, (v) => (v === c.value ? 0 : 1));
  }
}

/** `col op value` given how the column compares with the value; `!=` is IS DISTINCT FROM (NULL differs). */
function ordered(op: CompareOperator, cmp: (v: string | number | boolean) => number): (v: FilterColumnValue) => Truth {
  return (v) => {
    if (isNull(v)) return op === '!=' ? true : null;
    const d = cmp(v);
    switch (op) {
      case '=':
        return d === 0;
      case '!=':
        return d !== 0;
      case '<':
        return d < 0;
      case '<=':
        return d <= 0;
      case '>':
        return d > 0;
      case '>=':
        return d >= 0;
    }
  };
}

function isNull(v: FilterColumnValue): v is null | undefined {
  return v === null || v === undefined;
}

/** Compares strings in Unicode code point order (UTF-8 byte order, which is what `COLLATE "C"` sorts by). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort after U+E000–U+FFFF in code point order, before them in UTF-16.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** A decimal literal as mantissa × 10^exponent, exactly. */
function decimal(text: string): { mantissa: bigint; exponent: number; text: string } {
  const m = DECIMAL.exec(text);
  if (!m) throw new Error(`not a decimal literal: ${text}`);
  const fraction = m[3] ?? '';
  return { mantissa: BigInt(`${m[1]}${m[2]}${fraction}`), exponent: Number(m[4] ?? 0) - fraction.length, text };
}

/**
 * Compares a column value with a decimal as Postgres does: an integer (a bigint column) exactly, as numeric;
 * any other number (a float8 column) as a double, the decimal rounded to one.
 */
function compareNumber(v: string | number | boolean, d: { mantissa: bigint; exponent: number; text: string }): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`number filter field holds ${String(v)}, not a number`);
  if (!Number.isSafeInteger(v)) {
    const x = Number(d.text);
    return v < x ? -1 : v > x ? 1 : 0;
  }
  const n = BigInt(v);
  return d.exponent >= 0 ? compareBig(n, d.mantissa * 10n ** BigInt(d.exponent)) : compareBig(n * 10n ** BigInt(-d.exponent), d.mantissa);
}

/**
 * Microseconds since the epoch of an RFC 3339 timestamp, as Postgres reads it into timestamptz: the fraction
 * is parsed as a double and rounded half to even to whole microseconds (its ParseFractionalSecond).
 */
export function timestampMicros(text: string): bigint {
  const m = RFC3339.exec(text.toUpperCase());
  if (!m) throw new Error(`not an RFC 3339 timestamp: ${text}`);
  const n = (k: number): number => Number(m[k] ?? 0);
  const offset = m[8] === 'Z' ? 0 : (m[8]!.startsWith('-') ? -1 : 1) * (n(9) * 3600 + n(10) * 60);
  const seconds = daysFromCivil(n(1), n(2), n(3)) * 86400 + n(4) * 3600 + n(5) * 60 + n(6) - offset;
  const micros = m[7] ? roundHalfEven(Number(m[7]) * 1e6) : 0;
  return BigInt(seconds) * 1_000_000n + BigInt(micros);
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
