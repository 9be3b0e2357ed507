import { ApiError } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { parseImageReference } from '../domain/image-reference';
import { internalContext } from '../domain/request-context';
import { parseKeyName } from '../kms/key-names';
import type { Logger } from '../logger';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import type { AttestService } from '../witnesses/attest-service';
import type { HookMetrics } from './hook-metrics';
import type { SigningJob } from '../domain/stores/hook-store';

export interface HookWorkerOptions {
  /** Parallel claim loops in this process (default 2). */
  readonly concurrency?: number;
  /**
   * Due jobs a loop claims and signs in one transaction (default 64): their audit events are appended in one
   * round, so a burst of pushes to one project takes its audit chain lock once per batch, not once per image,
   * and a backlog costs a batch's dozen statements per 64 images. A batch that fails is retried job by job, so
   * one bad job fails alone.
   */
  readonly batchSize?: number;
  /** How often idle loops look for due work (default 1000 ms); a queued signing wakes them at once. */
  readonly pollMs?: number;
  /** Attempts before a signing is FAILED for good (default 8). */
  readonly maxAttempts?: number;
  /** First retry delay, doubled per attempt (default 1000 ms), capped at backoffMaxMs (default 5 min). */
  readonly backoffMs?: number;
  readonly backoffMaxMs?: number;
}

/** Errors that another attempt will not fix: the signing fails at once with the message. */
const PERMANENT = new Set(['INVALID_ARGUMENT', 'NOT_FOUND', 'FAILED_PRECONDITION', 'PERMISSION_DENIED']);

/**
 * Signs the hook outbox: each loop claims one due job (FOR UPDATE SKIP LOCKED), attests it in the
 * same transaction and marks it SIGNED, so a crash anywhere leaves the job PENDING and it is signed
 * later exactly once. Failures are retried with exponential backoff, then marked FAILED with the reason.
 */
export class HookWorker {
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly backoffMaxMs: number;
  private loops: Promise<void>[] = [];
  private stopping = false;
  private sleepers = new Set<() => void>();
  /** A wake that found no loop asleep: the next loop to finish a batch looks for due work again instead of sleeping. */
  private missedWake = false;
  /** A loop was woken and has not begun its claim yet: further wakes are covered by that claim. */
  private wokenBeforeClaim = false;

  constructor(
    private readonly uow: UnitOfWork,
    /** What signs: the attest service (a test wraps it to count and fail calls). */
    private readonly attest: Pick<AttestService, 'attestMany'>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics?: HookMetrics,
    options: HookWorkerOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 2;
    this.batchSize = Math.max(1, options.batchSize ?? 64);
    this.pollMs = options.pollMs ?? 1000;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.backoffMs = options.backoffMs ?? 1000;
    this.backoffMaxMs = options.backoffMaxMs ?? 5 * 60_000;
  }

  start(): void {
    if (this.loops.length > 0) return;
    this.stopping = false;
    for (let i = 0; i < this.concurrency; i++) this.loops.push(this.loop(i));
  }

  /** Lets in-flight signings finish (they commit or roll back), then resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of [...this.sleepers]) wake();
    await Promise.all(this.loops);
    this.loops = [];
  }

  /**
   * Work was queued (after a hook's commit): one idle loop claims it, or, when every loop is busy, the first to finish
   * its batch. One claim that starts after the wake sees the committed work; waking every loop made the others
   * claim nothing (the first takes every due job), three statements each. A loop that claims a full batch wakes
   * another, so a backlog is worked by every loop.
   */
  wake(): void {
    if (this.wokenBeforeClaim) return;
    const [first] = this.sleepers;
    if (first) {
      this.wokenBeforeClaim = true;
      first();
    } else this.missedWake = true;
  }

  /** Claims and processes due jobs (up to batchSize at once); false when none was due (or every due one is held by others). */
  async runOnce(): Promise<boolean> {
    return (await this.runBatch()) > 0;
  }

  /** runOnce, answering how many jobs it claimed. */
  private async runBatch(): Promise<number> {
    let claimed: SigningJob[] = [];
    try {
      const occurrences = await this.uow.transaction(async (stores) => {
        claimed = await stores.hooks.claimDueMany(this.clock.now(), this.batchSize);
        // A backlog: another loop takes the next batch meanwhile.
        if (claimed.length === this.batchSize) this.wake();
        return this.sign(stores, claimed);
      });
      claimed.forEach((job, i) => this.signed(job, occurrences[i]!));
      return claimed.length;
    } catch (err) {
      if (claimed.length === 0) throw err;
      if (claimed.length === 1) await this.recordFailure(claimed[0]!, err);
      // The batch rolled back: sign its jobs one by one, so that only the failing ones count a failure.
      else for (const job of claimed) await this.runOne(job.signingId);
      return claimed.length;
    }
  }

  /** Claims one job by id (if still due and free) and signs it in its own transaction. */
  private async runOne(signingId: string): Promise<void> {
    let claimed: SigningJob | undefined;
    try {
      const occurrence = await this.uow.transaction(async (stores) => {
        claimed = (await stores.hooks.claimDueMany(this.clock.now(), 1, [signingId]))[0];
        return claimed ? (await this.sign(stores, [claimed]))[0] : undefined;
      });
      if (claimed && occurrence) this.signed(claimed, occurrence);
    } catch (err) {
      if (!claimed) throw err;
      await this.recordFailure(claimed, err);
    }
  }

  /** Attests claimed jobs in the caller's transaction (one batch) and marks them SIGNED; answers each one's occurrence name. */
  private async sign(stores: Stores, jobs: readonly SigningJob[]): Promise<string[]> {
    if (jobs.length === 0) return [];
    const occurrences = await this.attest.attestMany(
      stores,
      jobs.map((job) => ({
        ctx: internalContext(`hook-signing-${job.signingId}`, job.actor),
        witness: { projectId: job.projectId, witnessId: job.witnessId },
        image: parseImageReference(`${job.registry}/${job.repository}@${job.digest}`),
      })),
    );
    const names = occurrences.map((o) => String(o.name));
    await stores.hooks.markSigned(
      jobs.map((job, i) => ({ signingId: job.signingId, occurrence: names[i]! })),
      this.clock.now(),
    );
    return names;
  }

  private signed(job: SigningJob, occurrence: string): void {
    this.metrics?.signed((Date.parse(this.clock.now()) - Date.parse(job.createTime)) / 1000);
    this.logger.info({ signing: job.signingId, image: image(job), occurrence }, 'registry push signed');
  }

  private async recordFailure(job: SigningJob, err: unknown): Promise<void> {
    const apiError = err instanceof ApiError ? err : this.uow.classifyError(err);
    const permanent = apiError !== undefined && PERMANENT.has(apiError.code);
    const final = permanent || job.attempts + 1 >= this.maxAttempts;
    const reason = apiError ? `${apiError.code}: ${apiError.message}` : 'internal error while signing (see the attestd log)';
    const delay = Math.min(this.backoffMaxMs, this.backoffMs * 2 ** job.attempts);
    const now = this.clock.now();
    const next = new Date(Date.parse(now) + delay).toISOString();
    (apiError ? this.logger.warn.bind(this.logger) : this.logger.error.bind(this.logger))(
      { signing: job.signingId, image: image(job), attempt: job.attempts + 1, final, err: apiError ? apiError.message : err },
      final ? 'registry push signing failed for good' : 'registry push signing failed; retrying',
    );
    try {
      await this.uow.transaction(async (stores) => {
        // A signing refused because the witness's key is disabled waits on that key: enabling it retries the signing.
        const waitingKey = final && apiError?.code === 'FAILED_PRECONDITION' ? await disabledKeyOf(stores, job) : '';
        const why = waitingKey ? `${reason}; retried when ${waitingKey} is enabled again` : reason;
        await stores.hooks.markAttemptFailed(job.signingId, why, final, next, now, waitingKey);
      });
      this.metrics?.failed(final);
    } catch (e) {
      // The job stays PENDING and is claimed again: the attempt is simply not counted.
      this.logger.warn({ signing: job.signingId, err: (e as Error).message }, 'could not record a failed signing attempt');
    }
  }

  private async loop(index: number): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let worked = false;
      try {
        // A batch smaller than the limit took every due job its claim saw. Work committed after that claim began
        // woke a sleeping loop or set missedWake (cleared here, before the claim, so no wake goes unseen);
        // without either, this loop sleeps instead of claiming again (an empty claim is three statements).
        this.missedWake = false;
        this.wokenBeforeClaim = false;
        const claimed = await this.runBatch();
        if (index === 0 && claimed === 0) this.metrics?.backlog(await this.uow.stores.hooks.backlog());
        worked = claimed === this.batchSize || this.missedWake;
        failures = 0;
      } catch (err) {
        failures++;
        this.logger.warn({ err: (err as Error).message, failures }, 'hook worker cannot reach the outbox; backing off');
      }
      if (!worked && !this.stopping)
        await this.sleep(failures > 0 ? Math.min(30_000, this.pollMs * 2 ** Math.min(failures, 5)) : this.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}

/** The witness's signing key when it exists and is not ENABLED, else ''. */
async function disabledKeyOf(stores: Stores, job: SigningJob): Promise<string> {
  const witness = await stores.witnesses.get({ projectId: job.projectId, id: job.witnessId });
  const key = witness?.spec.keys[0];
  if (key === undefined) return '';
  const { projectId, keyId } = parseKeyName(key);
  const record = await stores.keys.get(projectId, keyId);
  return record && record.state !== 'ENABLED' ? key : '';
}

const image = (j: SigningJob): string => `${j.registry}/${j.repository}@${j.digest}`;
