import { MemoryStorageError } from './memory-storage-error';

/**
 * A JSON value as a jsonb column stores it: a deep copy (undefined members dropped, as JSON.stringify drops
 * them), object keys in jsonb's order (shorter first, then by bytes), frozen. Refuses NUL anywhere, as
 * Postgres refuses `\u0000` in jsonb.
 */
export function jsonb<T>(value: T): T {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('jsonb: value is not JSON');
  if (text.includes('\\u0000')) throw new MemoryStorageError('nul', 'unsupported Unicode escape sequence \\u0000 in jsonb');
  return reorder(JSON.parse(text)) as T;
}

function reorder(value: unknown): unknown {
  if (Array.isArray(value)) return Object.freeze(value.map(reorder));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => jsonbKeyOrder(a, b));
    return Object.freeze(Object.fromEntries(entries.map(([k, v]) => [k, reorder(v)])));
  }
  return value;
}

function jsonbKeyOrder(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length - y.length || Buffer.compare(x, y);
}

/** A copy a caller may change freely (what a fresh database read gives). */
export function thaw<T>(value: T): T {
  return structuredClone(value);
}

/** Refuses NUL in a row's text columns (its top-level strings and string lists), as Postgres refuses it in text. */
export function checkText(row: object): void {
  for (const value of Object.values(row)) {
    const texts = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v) => typeof v === 'string') : [];
    if (texts.some((t: string) => t.includes('\u0000')))
      throw new MemoryStorageError('nul', 'invalid byte sequence for encoding "UTF8": 0x00');
  }
}

/** A timestamptz column as read back: ISO 8601 UTC with milliseconds. */
export function timestamp(value: string): string {
  const t = new Date(value);
  if (Number.isNaN(t.getTime()))
    throw new MemoryStorageError('invalid-value', `invalid input syntax for type timestamp with time zone: "${value}"`);
  return t.toISOString();
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Refuses a value a uuid column would not take. */
export function checkUuid(value: string): string {
  if (!UUID.test(value)) throw new MemoryStorageError('invalid-value', `invalid input syntax for type uuid: "${value}"`);
  return value;
}
