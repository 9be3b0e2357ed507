import * as protobuf from 'protobufjs';
import { anyTarget, SPECIAL_JSON } from './any-type';
import { childPath, fail, setKey } from './json-errors';
import { type FieldPlan, type TypePlan, enumName, fieldById, typePlan } from './type-plan';
import { StrictUtf8Reader, wasInvalidUtf8 } from './strict-utf8-reader';
import { formatDuration, formatTimestamp, pathsToFieldMask } from './well-known-json';

/*
 * A decoded protobufjs message → canonical proto3 JSON. Fields without presence that hold their default
 * are omitted (as are empty repeated fields and maps), so a gRPC request and the same request over REST in
 * canonical form give the same JSON. Values the domain cannot hold are INVALID_ARGUMENT: invalid UTF-8 and U+0000 in strings,
 * undefined enum numbers, out-of-range Timestamps/Durations, Any of types not in the root.
 */

type Obj = Record<string, unknown>;
/** A 64-bit integer as protobufjs decodes it: a Long of the `long` package, whose toString() is its decimal form. */
type LongLike = protobuf.Long & { toString(): string };

/** protobufjs' own limit for nested messages; also caps Any-inside-Any chains decoded here. */
export const MAX_DECODE_DEPTH = 100;

const hasOwn = (obj: object, key: string): boolean => Object.prototype.hasOwnProperty.call(obj, key);
const LONG_TYPES: ReadonlySet<string> = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** Decodes `buf` as `plan`'s type and returns canonical JSON. */
export function decodeToJson(plan: TypePlan, buf: Uint8Array, path: string, depth: number): unknown {
  let msg: protobuf.Message;
  try {
    msg = plan.type.decode(new StrictUtf8Reader(buf));
  } catch (e) {
    fail(path, `malformed ${plan.fullName} message: ${e instanceof Error ? e.message : String(e)}`);
  }
  return fromMessage(plan, msg as unknown as Obj, path, depth);
}

/** Canonical JSON of a decoded message of type `plan` (well-known JSON forms included). */
export function fromMessage(plan: TypePlan, msg: Obj, path: string, depth: number): unknown {
  if (depth > MAX_DECODE_DEPTH) fail(path, `nested more than ${MAX_DECODE_DEPTH} levels deep`);
  switch (plan.wellKnown) {
    case 'Timestamp':
    case 'Duration': {
      const seconds = toNumber(msg[fieldById(plan.type, 1).name] ?? 0);
      const nanos = Number(msg[fieldById(plan.type, 2).name] ?? 0);
      const text = plan.wellKnown === 'Timestamp' ? formatTimestamp(seconds, nanos) : formatDuration(seconds, nanos);
      if (text === undefined) fail(path, `${plan.fullName} {seconds: ${seconds}, nanos: ${nanos}} is out of range`);
      return text;
    }
    case 'FieldMask': {
      const mask = pathsToFieldMask((msg[fieldById(plan.type, 1).name] as string[] | undefined) ?? []);
      if (mask === undefined) fail(path, 'a FieldMask path is not a valid field path');
      return mask;
    }
    case 'Struct':
      return structToJson(plan.type, msg, path, depth);
    case 'ListValue':
      return listToJson(plan.type, msg, path, depth);
    case 'Value':
      return valueToJson(plan.type, msg, path, depth);
    case 'Wrapper': {
      const inner = fieldById(plan.type, 1);
      return scalarToJson(inner.type, msg[inner.name], path);
    }
    case 'Any':
      return anyToJson(plan, msg, path, depth);
    case undefined:
      return messageToJson(plan, msg, path, depth);
  }
}

function messageToJson(plan: TypePlan, msg: Obj, path: string, depth: number): Obj {
  const out: Obj = {};
  for (const field of plan.fields) {
    if (!hasOwn(msg, field.protoName)) continue;
    const value = msg[field.protoName];
    if (value === null || value === undefined) continue;
    const fieldPath = childPath(path, field.jsonName);
    if (field.map) {
      const keys = Object.keys(value);
      if (keys.length === 0) continue;
      const map: Obj = {};
      for (const key of keys) {
        const jsonKey = mapKeyToJson(field, key, fieldPath);
        setKey(map, jsonKey, singleToJson(field, (value as Obj)[key], `${fieldPath}[${JSON.stringify(jsonKey)}]`, depth));
      }
      out[field.jsonName] = map;
    } else if (field.repeated) {
      const list = value as unknown[];
      if (list.length === 0) continue;
      out[field.jsonName] = list.map((v, i) => singleToJson(field, v, `${fieldPath}[${i}]`, depth));
    } else {
      if (!field.hasPresence && isDefault(value)) continue;
      out[field.jsonName] = singleToJson(field, value, fieldPath, depth);
    }
  }
  return out;
}

function isDefault(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      return value === '';
    case 'number':
      return value === 0;
    case 'boolean':
      return !value;
    case 'object':
      if (value instanceof Uint8Array) return value.length === 0;
      return (value as LongLike).low === 0 && (value as LongLike).high === 0;
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      return false;
  }
}

function singleToJson(field: FieldPlan, value: unknown, path: string, depth: number): unknown {
  if (field.scalar) return scalarToJson(field.scalar, value, path);
  if (field.enumType) {
    const name = enumName(field.enumType, value as number);
    if (name === undefined) fail(path, `${String(value)} is not a value of ${field.enumType.fullName.slice(1)}`);
    return name;
  }
  return fromMessage(typePlan(field.messageType!), value as Obj, path, depth + 1);
}

function toNumber(value: unknown): number {
  return typeof value === 'object' && value !== null ? protobuf.util.LongBits.from(value as LongLike).toNumber(false) : Number(value);
}

function scalarToJson(type: string, value: unknown, path: string): unknown {
  switch (type) {
    case 'string':
      if (value === undefined) return '';
      if (wasInvalidUtf8(value as string)) fail(path, 'is not valid UTF-8; send UTF-8 text');
      if ((value as string).includes('\u0000')) fail(path, 'must not contain U+0000 (NUL)');
      return value;
    case 'bytes':
      if (value === undefined) return '';
      return Buffer.isBuffer(value)
        ? value.toString('base64')
        : Buffer.from((value as Uint8Array).buffer, (value as Uint8Array).byteOffset, (value as Uint8Array).byteLength).toString('base64');
    case 'double':
    case 'float': {
      if (value === undefined) return 0;
      const n = value as number;
      return Number.isFinite(n) ? n : String(n);
    }
    case 'bool':
      return value ?? false;
    default: {
      const integer = value as LongLike | number | string | undefined;
      if (LONG_TYPES.has(type)) return integer === undefined ? '0' : String(integer);
      return value ?? 0;
    }
  }
}

function mapKeyToJson(field: FieldPlan, key: string, path: string): string {
  const keyType = field.keyType!;
  if (keyType === 'string') {
    if (wasInvalidUtf8(key)) fail(path, 'a map key is not valid UTF-8; send UTF-8 text');
    if (key.includes('\u0000')) fail(path, 'a map key must not contain U+0000 (NUL)');
    return key;
  }
  if (LONG_TYPES.has(keyType) && protobuf.util.Long && key.length === 8) {
    // protobufjs stores 64-bit map keys as 8-character "long hashes".
    return (protobuf.util.LongBits.fromHash(key).toLong(keyType === 'uint64' || keyType === 'fixed64') as LongLike).toString();
  }
  return key;
}

function structToJson(structType: protobuf.Type, msg: Obj, path: string, depth: number): Obj {
  const fields = (msg[fieldById(structType, 1).name] as Obj | undefined) ?? {};
  const valueType = fieldById(structType, 1).resolvedType as protobuf.Type;
  const out: Obj = {};
  for (const key of Object.keys(fields)) {
    const entryPath = childPath(path, key);
    if (key.includes('\u0000')) fail(entryPath, 'a Struct key must not contain U+0000 (NUL)');
    setKey(out, key, valueToJson(valueType, fields[key] as Obj, entryPath, depth + 1));
  }
  return out;
}

function listToJson(listType: protobuf.Type, msg: Obj, path: string, depth: number): unknown[] {
  const values = (msg[fieldById(listType, 1).name] as Obj[] | undefined) ?? [];
  const valueType = fieldById(listType, 1).resolvedType as protobuf.Type;
  return values.map((v, i) => valueToJson(valueType, v, `${path}[${i}]`, depth + 1));
}

/** A Value with no kind set becomes null. */
function valueToJson(valueType: protobuf.Type, msg: Obj, path: string, depth: number): unknown {
  if (depth > MAX_DECODE_DEPTH) fail(path, `nested more than ${MAX_DECODE_DEPTH} levels deep`);
  const [, num, str, bool, struct, list] = [1, 2, 3, 4, 5, 6].map((id) => fieldById(valueType, id));
  if (hasOwn(msg, num!.name)) {
    const n = msg[num!.name] as number;
    if (!Number.isFinite(n)) fail(path, 'a google.protobuf.Value number must be finite');
    return n;
  }
  if (hasOwn(msg, str!.name)) return scalarToJson('string', msg[str!.name], path);
  if (hasOwn(msg, bool!.name)) return msg[bool!.name];
  if (hasOwn(msg, struct!.name)) return structToJson(struct!.resolvedType as protobuf.Type, msg[struct!.name] as Obj, path, depth);
  if (hasOwn(msg, list!.name)) return listToJson(list!.resolvedType as protobuf.Type, msg[list!.name] as Obj, path, depth);
  return null;
}

function anyToJson(plan: TypePlan, msg: Obj, path: string, depth: number): Obj {
  const typeUrl = (msg[fieldById(plan.type, 1).name] as string | undefined) ?? '';
  const value = (msg[fieldById(plan.type, 2).name] as Uint8Array | undefined) ?? new Uint8Array();
  if (typeUrl === '' && value.length === 0) return {};
  if (wasInvalidUtf8(typeUrl)) fail(childPath(path, '@type'), 'is not valid UTF-8; send UTF-8 text');
  const target = anyTarget(plan.type.root, typeUrl);
  if (!target)
    fail(
      childPath(path, '@type'),
      `type ${JSON.stringify(typeUrl)} is not known to attestd (only types of the loaded protos can be carried in an Any)`,
    );
  const inner = decodeToJson(target, value, path, depth + 1);
  return SPECIAL_JSON.has(target.wellKnown ?? '') ? { '@type': typeUrl, value: inner } : { '@type': typeUrl, ...(inner as Obj) };
}
