import type * as protobuf from 'protobufjs';
import { typePlan } from './type-plan';

/**
 * Which member of oneof `oneofName` (its proto name, e.g. `details`) is set in canonical JSON `json`,
 * as its JSON name (`dsseAttestation`); undefined when none is set (null counts as not set).
 */
export function oneofMember(type: protobuf.Type, oneofName: string, json: Record<string, unknown>): string | undefined {
  const oneof = typePlan(type).oneofs.find((o) => o.name === oneofName);
  if (!oneof) throw new Error(`${type.fullName} has no oneof ${oneofName}`);
  for (const member of oneof.members) {
    const value = json[member.jsonName];
    if (value !== undefined && value !== null) return member.jsonName;
  }
  return undefined;
}

/** The NoteKind name a Note.type / Occurrence.details member implies: camelCase → UPPER_SNAKE. */
export function kindFromMember(jsonName: string): string {
  return jsonName.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}
