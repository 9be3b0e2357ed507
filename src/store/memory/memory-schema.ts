import type { AuditEvent, NewAuditEvent } from '../../domain/audit-event';
import type { ChainHead } from '../../domain/stores/audit-store';
import type { JsonObject } from '../../domain/message-types';
import type { DecisionRecord } from '../../domain/stores/decision-store';
import type { NoteRecord, OccurrenceRecord } from '../../domain/stores/grafeas-store';
import type { HookEventRow, SigningJob } from '../../domain/stores/hook-store';
import type { KeyRecord, SigningMaterial } from '../../domain/stores/key-store';
import type { ProjectRecord } from '../../domain/stores/project-store';
import type { TokenRecord } from '../../domain/stores/token-store';
import { tableName } from './memory-tables';

// The memory backend's tables: one per Postgres table (migrations/), with the same primary keys.

/** A key version with the key it belongs to. */
export type KeyVersionRow = SigningMaterial & { readonly projectId: string; readonly keyId: string };
/** A decision as the memory store keeps it: its body parsed, as a jsonb column holds it. */
export type DecisionRow = Omit<DecisionRecord, 'body'> & { readonly body: JsonObject };
/** An audit event written on a request path, before the sequencer chains it. */
export type PendingEventRow = NewAuditEvent & { readonly eventId: string };
/** A received event id (redeliveries are no-ops). */
export interface HookReceiptRow {
  readonly projectId: string;
  readonly source: string;
  readonly eventId: string;
  readonly receiveTime: string;
}
/** A signing job of the outbox with its state. */
export type SigningRow = SigningJob & {
  readonly kind: 'SIGN' | 'IMPORT';
  readonly tag: string;
  readonly plainHttp: boolean;
  readonly status: 'PENDING' | 'SIGNED' | 'FAILED' | 'IMPORTED' | 'REJECTED';
  readonly nextAttemptTime: string;
  readonly reason: string;
  /** The disabled key a FAILED signing waits on ('' when none). */
  readonly waitingKey: string;
  readonly occurrence: string;
  readonly updateTime: string;
};

/** Table projects. */
export const PROJECTS = tableName<ProjectRecord>('projects', (r) => [r.projectId]);
/** Table notes. */
export const NOTES = tableName<NoteRecord>('notes', (r) => [r.projectId, r.noteId]);
/** Table occurrences. */
export const OCCURRENCES = tableName<OccurrenceRecord>('occurrences', (r) => [r.occurrenceId]);
/** Table keys. */
export const KEYS = tableName<KeyRecord>('keys', (r) => [r.projectId, r.keyId]);
/** Table key_versions. */
export const KEY_VERSIONS = tableName<KeyVersionRow>('key_versions', (r) => [r.projectId, r.keyId, r.version]);
/** Table decisions. */
export const DECISIONS = tableName<DecisionRow>('decisions', (r) => [r.decisionId]);
/** Table audit_pending. */
export const AUDIT_PENDING = tableName<PendingEventRow>('audit_pending', (r) => [r.eventId]);
/** Table audit_events. */
export const AUDIT_EVENTS = tableName<AuditEvent>('audit_events', (r) => [r.projectId, r.seq]);
/** Table audit_chain_heads. */
export const AUDIT_HEADS = tableName<ChainHead>('audit_chain_heads', (r) => [r.projectId]);
/** Table hook_receipts. */
export const HOOK_RECEIPTS = tableName<HookReceiptRow>('hook_receipts', (r) => [r.projectId, r.source, r.eventId]);
/** Table hook_signings. */
export const HOOK_SIGNINGS = tableName<SigningRow>('hook_signings', (r) => [r.signingId]);
/** Table tokens. */
export const TOKENS = tableName<TokenRecord>('tokens', (r) => [r.jti]);
/** Table hook_events. */
export const HOOK_EVENTS = tableName<HookEventRow>('hook_events', (r) => [r.projectId, r.hookEventId]);

// Revisioned project resources: the resource kit's tables (memory-resource-stores.ts).
export {
  CLUSTER_ADAPTER_ROWS as CLUSTER_ADAPTERS,
  CLUSTER_ROWS as CLUSTERS,
  IDENTITY_PROVIDER_ROWS as IDENTITY_PROVIDERS,
  IMPORT_RULE_ROWS as IMPORT_RULES,
  POLICY_ROWS as POLICIES,
  SIGNING_RULE_ROWS as SIGNING_RULES,
  WITNESS_ROWS as WITNESSES,
} from './memory-resource-stores';
