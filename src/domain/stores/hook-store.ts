import type { JsonObject, ListQuery, Page } from '../message-types';

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

/** The state of the signing an event row points at. */
export interface SigningState {
  readonly status: 'PENDING' | 'SIGNED' | 'FAILED';
  readonly attempts: number;
  readonly reason: string;
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

/** Storage of hook receipts, events and the signing outbox. */
export interface HookStore {
  /** Records that an event id was received; false when it was received before (a redelivery). */
  receipt(projectId: string, source: string, eventId: string, time: string): Promise<boolean>;
  /** The signing job for the job's key, created PENDING or found (a FAILED one is re-armed). Returns its id. */
  enqueue(job: Omit<SigningJob, 'signingId' | 'attempts'>): Promise<string>;
  insertEvents(rows: readonly HookEventRow[]): Promise<void>;
  /** Locks one due PENDING job no other transaction holds (FOR UPDATE SKIP LOCKED). */
  claimDue(now: string): Promise<SigningJob | undefined>;
  /** Locks up to `limit` due PENDING jobs no other transaction holds, oldest first; with `signingIds`, only those. */
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
  /** One event row and the state of its signing (undefined when ignored); undefined when there is no such event. */
  event(projectId: string, hookEventId: string): Promise<{ row: HookEventRow; signing: SigningState | undefined } | undefined>;
  /** Re-arms a FAILED signing (PENDING, due at `now`, attempts and reason cleared); false when it was not FAILED. */
  retry(signingId: string, now: string): Promise<boolean>;
  /** Re-arms every FAILED signing of the project that waits on the key (see markAttemptFailed); returns how many. */
  retryWaitingOn(projectId: string, keyName: string, now: string): Promise<number>;
  /** PENDING jobs (all projects). */
  backlog(): Promise<number>;
  /** Forgets ignored events and receipts received before `before` (signing history stays); returns rows deleted. */
  prune(before: string): Promise<number>;
  /** hookEvents in the API shape, oldest first, filtered and paged. */
  list(projectId: string, query: ListQuery): Promise<Page<JsonObject>>;
}
