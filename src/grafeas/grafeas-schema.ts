import type protobuf from 'protobufjs';
import { invalidArgument } from '../domain/api-error';
import { kindFromMember, oneofMember } from '../proto/oneof-kind';
import { loadProtoRoot } from '../proto/proto-root';
import type { JsonObject } from '../domain/message-types';

/** The Grafeas message types the services reason about, resolved once from the published protos. */
export interface GrafeasSchema {
  readonly note: protobuf.Type;
  readonly occurrence: protobuf.Type;
}

let cached: GrafeasSchema | undefined;

/** The grafeas.v1 Note and Occurrence types. */
export function grafeasSchema(): GrafeasSchema {
  if (!cached) {
    const root = loadProtoRoot();
    cached = {
      note: root.lookupType('grafeas.v1.Note'),
      occurrence: root.lookupType('grafeas.v1.Occurrence'),
    };
  }
  return cached;
}

/**
 * The kind a message's details imply (`attestation` → ATTESTATION), checked against a `kind` the client
 * may have sent; undefined when no details are set.
 */
export function kindOf(type: protobuf.Type, oneofName: string, message: JsonObject, field: string): string | undefined {
  const member = oneofMember(type, oneofName, message);
  const implied = member ? kindFromMember(member) : undefined;
  const sent = message.kind as string | undefined;
  if (implied && sent && sent !== 'NOTE_KIND_UNSPECIFIED' && sent !== implied) {
    throw invalidArgument(`${field}.kind is ${sent} but its ${member} details make it ${implied}; omit kind, the server sets it`);
  }
  return implied ?? (sent && sent !== 'NOTE_KIND_UNSPECIFIED' ? sent : undefined);
}
