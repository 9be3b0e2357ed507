/**
 * Text Postgres can store as written: a NUL character (which no text or jsonb value may hold) and a lone UTF-16
 * surrogate (which is not Unicode at all) become the visible escapes `\u0000` and `\ud800`. Everything else,
 * other control characters included, is kept.
 */
export function storableText(s: string): string {
  // eslint-disable-next-line no-control-regex -- NUL is exactly what is looked for
  return s.replace(/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) =>
    c === '\u0000' ? '\\u0000' : `\\u${c.charCodeAt(0).toString(16)}`,
  );
}

/**
 * JSON text escapes NUL and lone surrogates (and only them, of what storableText changes) as `\u0000` and
 * `\udXXX`; a string holding the six characters `\u0000` matches too, which only costs the slower path.
 */
const ESCAPED_UNSTORABLE = /\\u0000|\\ud[89a-f]/i;

/**
 * The JSON text of a value with storableText applied to every string in it, keys included. A value with nothing
 * to change (nearly every one) is stringified once: the escapes are looked for with one search of its text.
 */
export function storableJsonText(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new TypeError('storableJsonText: the value is not JSON');
  return ESCAPED_UNSTORABLE.test(text) ? JSON.stringify(storableCopy(value)) : text;
}

function storableCopy<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map(storableCopy) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[storableText(k)] = storableCopy(v);
    return out as T;
  }
  return value;
}
