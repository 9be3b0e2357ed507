import type protobuf from 'protobufjs';
import { loadProtoRoot } from '../proto/proto-root';

/** The attestd.v1.Witness message type, for update masks. */
export function witnessSchema(): protobuf.Type {
  return loadProtoRoot().lookupType('attestd.v1.Witness');
}
