import * as protobuf from 'protobufjs';
import { type TypePlan, type WellKnownKind, typePlan } from './type-plan';

/** Types whose Any JSON form is `{"@type", "value"}` rather than inline fields (all well-known JSON forms). */
export const SPECIAL_JSON: ReadonlySet<string> = new Set<WellKnownKind>([
  'Timestamp',
  'Duration',
  'FieldMask',
  'Struct',
  'Value',
  'ListValue',
  'Any',
  'Wrapper',
]);

const TYPE_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const found = new WeakMap<protobuf.Root, Map<string, TypePlan>>();

/**
 * The message type an Any's type URL names (`type.googleapis.com/grafeas.v1.Note` → grafeas.v1.Note), looked
 * up in `root`; undefined when the root does not define it. Only hits are cached, so hostile URLs cannot grow it.
 */
export function anyTarget(root: protobuf.Root, typeUrl: string): TypePlan | undefined {
  let cache = found.get(root);
  if (!cache) found.set(root, (cache = new Map()));
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const hit = cache.get(name);
  if (hit) return hit;
  if (!TYPE_NAME_RE.test(name)) return undefined;
  let type: protobuf.ReflectionObject | null;
  try {
    type = root.lookup(`.${name}`);
  } catch {
    return undefined;
  }
  if (!(type instanceof protobuf.Type)) return undefined;
  const plan = typePlan(type);
  cache.set(name, plan);
  return plan;
}
