import { protoCodec } from '../../src/proto/proto-codec';
import { loadProtoRoot } from '../../src/proto/proto-root';

/**
 * A gRPC request body as it travels in an HTTP/2 DATA frame: the length-prefixed message (1 byte "not
 * compressed", 4 bytes big-endian length, the protobuf bytes), encoded with attestd's own codec from the
 * message's proto3 JSON.
 */
export function grpcFrame(messageType: string, json: Record<string, unknown>): Buffer {
  const message = protoCodec(loadProtoRoot().lookupType(messageType)).serialize(json);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** Headers of a gRPC call over h2load: the content type gRPC servers require, trailers, and the bearer token. */
export function grpcHeaders(token: string): Record<string, string> {
  return { 'content-type': 'application/grpc', te: 'trailers', authorization: `Bearer ${token}` };
}
