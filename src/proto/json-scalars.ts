import type * as protobuf from 'protobufjs';
import { describe, fail } from './json-errors';
import { enumName } from './type-plan';

const INT32_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  int32: [-0x80000000, 0x7fffffff],
  sint32: [-0x80000000, 0x7fffffff],
  sfixed32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
  fixed32: [0, 0xffffffff],
};
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const FLOAT_MAX = 3.4028234663852886e38;
const DECIMAL = /^-?\d{1,40}$/;
/** U+0000 (Postgres cannot store it) or a lone surrogate (not encodable as UTF-8). */
// eslint-disable-next-line no-control-regex -- matching U+0000 is the point of this pattern
const BAD_CHARS = /[\u0000\p{Cs}]/u;
const BASE64_CHARS = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Rejects strings Postgres or UTF-8 cannot carry. */
export function checkString(value: string, path: string): string {
  if (BAD_CHARS.test(value)) {
    fail(path, value.includes('\u0000') ? 'must not contain U+0000 (NUL)' : 'contains a lone UTF-16 surrogate (not valid Unicode)');
  }
  return value;
}

/** Validates a proto3 JSON scalar of basic type `type` and returns its canonical JSON form. */
export function readScalar(type: string, value: unknown, path: string): unknown {
  switch (type) {
    case 'string':
      if (typeof value !== 'string') fail(path, `expected a string, got ${describe(value)}`);
      return checkString(value, path);
    case 'bool':
      if (typeof value !== 'boolean') fail(path, `expected true or false, got ${describe(value)}`);
      return value;
    case 'bytes':
      return readBytes(value, path);
    case 'double':
    case 'float':
      return readFloat(type, value, path);
    case 'int64':
    case 'sint64':
    case 'sfixed64':
    case 'uint64':
    case 'fixed64':
      return readInt64(type, value, path);
    default:
      return readInt32(type, value, path);
  }
}

function readInt32(type: string, value: unknown, path: string): number {
  const range = INT32_RANGE[type];
  if (!range) throw new Error(`not a scalar type: ${type}`);
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && DECIMAL.test(value)) n = Number(value);
  else fail(path, `expected an integer (${type}), got ${describe(value)}`);
  if (!Number.isInteger(n)) fail(path, `expected an integer (${type}), got ${describe(value)}`);
  if (n < range[0] || n > range[1]) fail(path, `${String(value)} is out of range for ${type}`);
  return n === 0 ? 0 : n; // no -0
}

function readInt64(type: string, value: unknown, path: string): string {
  let n: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) fail(path, `expected an integer (${type}), got ${describe(value)}`);
    if (!Number.isSafeInteger(value)) fail(path, `${value} is beyond ±2^53 and may have lost precision: send ${type} values as strings`);
    n = BigInt(value);
  } else if (typeof value === 'string' && DECIMAL.test(value)) {
    n = BigInt(value);
  } else {
    fail(path, `expected an integer (${type}) as a decimal string or number, got ${describe(value)}`);
  }
  const unsigned = type === 'uint64' || type === 'fixed64';
  if (unsigned ? n < 0n || n > UINT64_MAX : n < INT64_MIN || n > INT64_MAX) {
    fail(path, `${String(value)} is out of range for ${type}`);
  }
  return n.toString();
}

function readFloat(type: string, value: unknown, path: string): number | string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(path, `expected a finite number, got ${String(value)}`);
    if (type === 'float' && Math.abs(value) > FLOAT_MAX) fail(path, `${value} is out of range for float`);
    return value;
  }
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return value;
  return fail(path, `expected a number (or "NaN", "Infinity", "-Infinity"), got ${describe(value)}`);
}

/** Accepts standard or URL-safe base64, padded or not; returns standard padded base64. */
export function readBytes(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `expected base64 bytes as a string, got ${describe(value)}`);
  if (!BASE64_CHARS.test(value)) fail(path, 'not valid base64 (unexpected character)');
  if (/[+/]/.test(value) && /[-_]/.test(value)) fail(path, 'not valid base64 (mixes the standard and URL-safe alphabets)');
  const body = value.replace(/=+$/, '');
  const padding = value.length - body.length;
  if (body.length % 4 === 1) fail(path, 'not valid base64 (truncated)');
  if (padding > 0 && value.length % 4 !== 0) fail(path, 'not valid base64 (wrong padding)');
  return Buffer.from(body, 'base64').toString('base64');
}

/** Accepts an enum value name or a defined number; returns the (canonical) name. */
export function readEnum(enumType: protobuf.Enum, value: unknown, path: string): string {
  let num: number | undefined;
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(enumType.values, value)) num = enumType.values[value];
  else if (typeof value === 'number' && Number.isInteger(value)) num = value;
  const name = num === undefined ? undefined : enumName(enumType, num);
  if (name === undefined) {
    const names = Object.keys(enumType.values);
    const hint = names.length <= 20 ? ` (one of ${names.join(', ')})` : '';
    fail(path, `${describe(value)} is not a value of ${enumType.fullName.replace(/^\./, '')}${hint}`);
  }
  return name;
}

/** Validates a map key (JSON object keys are strings) for the key type; returns the canonical key. */
export function readMapKey(keyType: string, key: string, path: string): string {
  switch (keyType) {
    case 'string':
      return checkString(key, path);
    case 'bool':
      if (key !== 'true' && key !== 'false') fail(path, `map key must be "true" or "false", got ${JSON.stringify(key)}`);
      return key;
    default:
      if (!DECIMAL.test(key)) fail(path, `map key must be a decimal integer (${keyType}), got ${describe(key)}`);
      return String(readScalar(keyType, key, path));
  }
}
