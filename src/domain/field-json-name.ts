import type protobuf from 'protobufjs';

/** The proto3 JSON name protoc derives from a field name: drop `_`, upper-case the next character. */
export function jsonNameFromProtoName(name: string): string {
  let out = '';
  let upperNext = false;
  for (const ch of name) {
    if (ch === '_') upperNext = true;
    else if (upperNext) {
      out += ch.toUpperCase();
      upperNext = false;
    } else out += ch;
  }
  return out;
}

/** The proto3 JSON name of a field (honours `json_name`, e.g. InTotoStatement.type → `_type`). */
export function fieldJsonName(field: protobuf.Field): string {
  const explicit: unknown = field.options?.json_name;
  return typeof explicit === 'string' ? explicit : jsonNameFromProtoName(field.name);
}
