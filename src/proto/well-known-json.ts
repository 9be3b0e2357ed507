import { describe, fail } from './json-errors';
import { jsonNameFromProtoName } from './type-plan';

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds: the proto3 Timestamp range. */
export const TIMESTAMP_MIN_SECONDS = -62135596800;
export const TIMESTAMP_MAX_SECONDS = 253402300799;
/** ±10,000 years, the proto3 Duration range. */
export const DURATION_MAX_SECONDS = 315576000000;

/** Seconds and nanos, as in google.protobuf.Timestamp / Duration (nanos carry the sign of seconds for Duration). */
export interface SecondsNanos {
  seconds: number;
  nanos: number;
}

const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const DURATION_RE = /^(-)?(\d{1,12})(?:\.(\d{1,9}))?s$/;
const MASK_PATH_RE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return DAYS_IN_MONTH[month]!;
}

/** Parses an RFC 3339 timestamp (any UTC offset, up to 9 fractional digits) into seconds + nanos. */
export function parseTimestamp(value: unknown, path: string): SecondsNanos {
  const m = typeof value === 'string' ? TIMESTAMP_RE.exec(value) : null;
  if (!m) fail(path, `expected an RFC 3339 timestamp like "2024-05-01T12:00:00Z", got ${describe(value)}`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    fail(path, `${JSON.stringify(value)} is not a valid date and time`);
  }
  let offset = 0;
  if (m[8]) {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) fail(path, `${JSON.stringify(value)} has an invalid UTC offset`);
    offset = (m[8] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  if (seconds < TIMESTAMP_MIN_SECONDS || seconds > TIMESTAMP_MAX_SECONDS) {
    fail(path, `${JSON.stringify(value)} is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z`);
  }
  return { seconds, nanos: m[7] ? Number(m[7].padEnd(9, '0')) : 0 };
}

/** 0, 3, 6 or 9 fractional digits, as the canonical proto3 JSON writers do. */
function fraction(nanos: number): string {
  if (nanos === 0) return '';
  if (nanos % 1_000_000 === 0) return `.${String(nanos / 1_000_000).padStart(3, '0')}`;
  if (nanos % 1_000 === 0) return `.${String(nanos / 1_000).padStart(6, '0')}`;
  return `.${String(nanos).padStart(9, '0')}`;
}

/** Canonical RFC 3339 UTC form (`Z`); undefined when seconds/nanos are out of the Timestamp range. */
export function formatTimestamp(seconds: number, nanos: number): string | undefined {
  if (!Number.isInteger(seconds) || seconds < TIMESTAMP_MIN_SECONDS || seconds > TIMESTAMP_MAX_SECONDS) return undefined;
  if (!Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) return undefined;
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}${fraction(nanos)}Z`;
}

/** Normalizes a timestamp string to its canonical form. */
export function readTimestamp(value: unknown, path: string): string {
  const { seconds, nanos } = parseTimestamp(value, path);
  return formatTimestamp(seconds, nanos)!;
}

/** Parses a proto3 JSON duration (`"1.5s"`, `"-0.25s"`). */
export function parseDuration(value: unknown, path: string): SecondsNanos {
  const m = typeof value === 'string' ? DURATION_RE.exec(value) : null;
  if (!m) fail(path, `expected a duration like "1.5s", got ${describe(value)}`);
  const sign = m[1] ? -1 : 1;
  const seconds = Number(m[2]);
  if (seconds > DURATION_MAX_SECONDS) fail(path, `${JSON.stringify(value)} is outside ±${DURATION_MAX_SECONDS}s`);
  const nanos = m[3] ? Number(m[3].padEnd(9, '0')) : 0;
  return { seconds: seconds === 0 ? 0 : sign * seconds, nanos: nanos === 0 ? 0 : sign * nanos };
}

/** Canonical duration form; undefined when out of range or signs disagree. */
export function formatDuration(seconds: number, nanos: number): string | undefined {
  if (!Number.isInteger(seconds) || Math.abs(seconds) > DURATION_MAX_SECONDS) return undefined;
  if (!Number.isInteger(nanos) || Math.abs(nanos) > 999_999_999) return undefined;
  if ((seconds < 0 && nanos > 0) || (seconds > 0 && nanos < 0)) return undefined;
  const negative = seconds < 0 || nanos < 0;
  return `${negative ? '-' : ''}${Math.abs(seconds)}${fraction(Math.abs(nanos))}s`;
}

/** Normalizes a duration string to its canonical form. */
export function readDuration(value: unknown, path: string): string {
  const { seconds, nanos } = parseDuration(value, path);
  return formatDuration(seconds, nanos)!;
}

/**
 * Normalizes a FieldMask: comma-separated paths, snake_case or lowerCamelCase, to lowerCamelCase joined
 * by commas (the canonical JSON form). `*` (AIP-134 full replacement) is kept; spaces around paths are trimmed.
 */
export function readFieldMask(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `expected comma-separated field paths as a string, got ${describe(value)}`);
  if (value === '') return '';
  return value
    .split(',')
    .map((p) => {
      const trimmed = p.trim();
      if (trimmed === '*') return trimmed;
      if (!MASK_PATH_RE.test(trimmed)) fail(path, `${JSON.stringify(trimmed)} is not a valid field path`);
      return trimmed.split('.').map(jsonNameFromProtoName).join('.');
    })
    .join(',');
}

/** FieldMask JSON → the paths a binary FieldMask carries (snake_case). */
export function fieldMaskToPaths(mask: string): string[] {
  if (mask === '') return [];
  return mask.split(',').map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
}

/** Binary FieldMask paths → canonical JSON; undefined when a path cannot be expressed in JSON. */
export function pathsToFieldMask(paths: readonly string[]): string | undefined {
  const out: string[] = [];
  for (const p of paths) {
    if (p !== '*' && !MASK_PATH_RE.test(p)) return undefined;
    out.push(p === '*' ? p : p.split('.').map(jsonNameFromProtoName).join('.'));
  }
  return out.join(',');
}
