import type { JsonObject, ListQuery, Page } from '../message-types';
import type { ImportRuleRecord } from '../resources/import-rule-spec';
import type { SigningRuleRecord } from '../resources/signing-rule-spec';

/** A received event id: one per project, source and id. */
export interface HookReceipt {
  readonly projectId: string;
  readonly source: string;
  readonly eventId: string;
}

/** A received event's row as hookEvents shows it (one per event and matching rule, or one ignored). */
export interface HookEventRow {
  readonly projectId: string;
  readonly hookEventId: string;
  readonly source: string;
  readonly eventId: string;
  readonly action: string;
  readonly mediaType: string;
  readonly image: string;
  readonly tag: string;
  readonly ruleId: string;
  readonly witnessId: string;
  /** The outbox row that signs it; undefined when ignored. */
  readonly signingId: string | undefined;
  readonly reason: string;
  readonly receiveTime: string;
}

/** The state of the signing or import an event row points at. */
export interface SigningState {
  readonly kind: 'SIGN' | 'IMPORT';
  readonly status: 'PENDING' | 'SIGNED' | 'FAILED' | 'IMPORTED' | 'REJECTED';
  readonly attempts: number;
  readonly reason: string;
  /** The occurrence signed, or those imported (space-separated). */
  readonly occurrence: string;
  readonly updateTime: string;
}

/** One signing job of the outbox: a witness signs registry/repository@digest. */
export interface SigningJob {
  readonly signingId: string;
  readonly projectId: string;
  readonly witnessId: string;
  readonly registry: string;
  readonly repository: string;
  readonly digest: string;
  readonly attempts: number;
  /** Who posted the hook (the token's subject); the attestation is made on its behalf. */
  readonly actor: string;
  readonly createTime: string;
}

/** One import job of the outbox: read a pushed signature manifest (registry/repository@digest) and record what the witness's keys verify. */
export interface ImportJob extends SigningJob {
  /** The tag the manifest was pushed under (`sha256-<hex>.sig`), or empty. */
  readonly tag: string;
  /** Read the registry over plain HTTP (the import rule's setting). */
  readonly plainHttp: boolean;
}

/** How an import ended: signatures recorded, or nothing that verified (the reason says why). */
export type ImportStatus = 'IMPORTED' | 'REJECTED';

/** A project's enabled rules, as a delivery reads them. */
export interface DeliveryRules {
  readonly signing: SigningRuleRecord[];
  readonly imports: ImportRuleRecord[];
}

/** Storage of hook receipts, events and the outbox of signings and imports. */
export interface HookStore {
  /**
   * The project's enabled signing and import rules in id order (as `signingRules.enabled` and `importRules.enabled`
   * answer them), in one statement; undefined when the project does not exist. Holds a key-share lock on the
   * project until commit, as `projects.lockShared`.
   */
  deliveryRules(projectId: string): Promise<DeliveryRules | undefined>;
  /** Records that an event id was received; false when it was received before (a redelivery). */
  receipt(projectId: string, source: string, eventId: string, time: string): Promise<boolean>;
  /**
   * Records received event ids in one statement; answers, in order, whether each is new (false for one received
   * before, or repeated earlier in the list), as `receipt` for each would.
   */
  receiptMany(receipts: readonly HookReceipt[], time: string): Promise<boolean[]>;
  /** The signing job for the job's key, created PENDING or found (a FAILED one is re-armed). Returns its id. */
  enqueue(job: Omit<SigningJob, 'signingId' | 'attempts'>): Promise<string>;
  /** `enqueue` for each job, in order, the new ones in one statement. Returns their ids. */
  enqueueMany(jobs: readonly Omit<SigningJob, 'signingId' | 'attempts'>[]): Promise<string[]>;
  /** The import job for the job's key, created PENDING or found (a FAILED one is re-armed). Returns its id. */
  enqueueImport(job: Omit<ImportJob, 'signingId' | 'attempts'>): Promise<string>;
  insertEvents(rows: readonly HookEventRow[]): Promise<void>;
  /** Locks one due PENDING signing job no other transaction holds (FOR UPDATE SKIP LOCKED). */
  claimDue(now: string): Promise<SigningJob | undefined>;
  /** Locks up to `limit` due PENDING signing jobs no other transaction holds, oldest first; with `signingIds`, only those. */
  claimDueMany(now: string, limit: number, signingIds?: readonly string[]): Promise<SigningJob[]>;
  /** Marks claimed jobs SIGNED with the occurrence each got, in one statement. */
  markSigned(signed: readonly { signingId: string; occurrence: string }[], now: string): Promise<void>;
  /**
   * Counts a failed attempt: PENDING again at `nextAttemptTime`, or FAILED for good when `final`; a final failure
   * that waits on a disabled key names it (`waitingKey`, "projects/p/keys/k"), so that enabling the key retries it.
   */
  markAttemptFailed(
    signingId: string,
    reason: string,
    final: boolean,
    nextAttemptTime: string,
    now: string,
    waitingKey?: string,
  ): Promise<void>;
  /** One event row and the state of its signing or import (undefined when ignored); undefined when there is no such event. */
  event(projectId: string, hookEventId: string): Promise<{ row: HookEventRow; signing: SigningState | undefined } | undefined>;
  /** Re-arms a FAILED signing or import (PENDING, due at `now`, attempts and reason cleared); false when it was not FAILED. */
  retry(signingId: string, now: string): Promise<boolean>;
  /** Re-arms every FAILED signing of the project that waits on the key (see markAttemptFailed); returns how many. */
  retryWaitingOn(projectId: string, keyName: string, now: string): Promise<number>;
  /**
   * Leases up to `limit` due PENDING import jobs no other transaction holds, oldest first: their next attempt moves to
   * `leaseUntil`, so that no one else takes them while the caller reads the registry outside any transaction.
   */
  leaseImports(now: string, leaseUntil: string, limit: number): Promise<ImportJob[]>;
  /** Locks a leased import job for the rest of the transaction; false when it is no longer PENDING under that lease. */
  holdLease(signingId: string, leaseUntil: string): Promise<boolean>;
  /** Ends a held import job: IMPORTED with its occurrences, or REJECTED with the reason. */
  markImported(signingId: string, status: ImportStatus, occurrences: readonly string[], reason: string, now: string): Promise<void>;
  /** PENDING jobs (all projects). */
  backlog(): Promise<number>;
  /** Forgets ignored events and receipts received before `before` (signing history stays); returns rows deleted. */
  prune(before: string): Promise<number>;
  /** hookEvents in the API shape, oldest first, filtered and paged. */
  list(projectId: string, query: ListQuery): Promise<Page<JsonObject>>;
}
