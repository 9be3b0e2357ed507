import type * as protobuf from 'protobufjs';
import { toEncodable } from './json-to-message';
import { decodeToJson } from './message-to-json';
import { typePlan } from './type-plan';

/** Converts between protobuf binary and attestd's one in-memory form, canonical proto3 JSON. */
export interface ProtoCodec {
  /** Canonical JSON → binary. A value that is not canonical JSON for the type is a plain Error (a bug). */
  readonly serialize: (json: Record<string, unknown>) => Buffer;
  /**
   * Binary → canonical JSON (defaults omitted). Malformed bytes and values attestd cannot hold (U+0000,
   * undefined enum numbers, out-of-range timestamps, Any of unknown types) throw ApiError INVALID_ARGUMENT.
   */
  readonly deserialize: (buf: Buffer) => Record<string, unknown>;
}

const codecs = new WeakMap<protobuf.Type, ProtoCodec>();

/**
 * The codec of a message type, cached per type: usable as grpc-js serialize/deserialize functions.
 * Note that grpc-js turns an exception thrown by a request deserializer into INTERNAL "Error deserializing
 * request"; to answer INVALID_ARGUMENT, deserialize inside the handler instead.
 */
export function protoCodec(type: protobuf.Type): ProtoCodec {
  let codec = codecs.get(type);
  if (!codec) {
    const plan = typePlan(type);
    if (plan.wellKnown) throw new Error(`protoCodec: ${plan.fullName} has no object form in proto3 JSON`);
    codec = {
      serialize(json) {
        const writer = type.encode(toEncodable(plan, json, '') as Record<string, unknown>);
        const bytes = writer.finish();
        return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      },
      deserialize(buf) {
        return decodeToJson(plan, buf, '', 1) as Record<string, unknown>;
      },
    };
    codecs.set(type, codec);
  }
  return codec;
}
