import { ApiError } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { RegistryError } from '../domain/registry-error';
import { internalContext } from '../domain/request-context';
import type { ImportJob, ImportStatus } from '../domain/stores/hook-store';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import type { Logger } from '../logger';
import type { HookMetrics } from './hook-metrics';
import type { ImportReading, SignatureImporter } from './signature-importer';

export interface ImportWorkerOptions {
  /** Parallel claim loops in this process (default 1: imports are rarer than signings, and each idle loop polls). */
  readonly concurrency?: number;
  /** How often idle loops look for due work (default 1000 ms); a queued import wakes them at once. */
  readonly pollMs?: number;
  /** Attempts before an import is FAILED for good (default 8). */
  readonly maxAttempts?: number;
  /** First retry delay, doubled per attempt (default 1000 ms), capped at backoffMaxMs (default 5 min). */
  readonly backoffMs?: number;
  readonly backoffMaxMs?: number;
  /** How long a claimed import is reserved for the loop reading it from the registry (default 5 min). */
  readonly leaseMs?: number;
}

/** Errors another attempt will not fix: the import fails at once with the message. */
const PERMANENT = new Set(['INVALID_ARGUMENT', 'NOT_FOUND', 'FAILED_PRECONDITION', 'PERMISSION_DENIED']);
/** Longest reason stored on an import (the store cuts at 2000 characters). */
const MAX_REASON = 1900;

/**
 * Imports the hook outbox's cosign signature manifests (ADR 0020). A loop leases one due import (a short
 * transaction moves its next attempt past the lease), reads and verifies it from the registry with no transaction
 * open, then in one transaction takes the job again only if its lease is still the one it holds, records the
 * verified signatures (idempotently) and marks it IMPORTED, or REJECTED with the reasons when nothing verified. A
 * crash while reading leaves the job to be leased again when the lease runs out; registry outages are retried with
 * exponential backoff, answers another attempt will not change fail at once.
 */
export class ImportWorker {
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly backoffMaxMs: number;
  private readonly leaseMs: number;
  private loops: Promise<void>[] = [];
  private stopping = false;
  private sleepers = new Set<() => void>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly importer: Pick<SignatureImporter, 'read' | 'record'>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics?: HookMetrics,
    options: ImportWorkerOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 1;
    this.pollMs = options.pollMs ?? 1000;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.backoffMs = options.backoffMs ?? 1000;
    this.backoffMaxMs = options.backoffMaxMs ?? 5 * 60_000;
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
  }

  start(): void {
    if (this.loops.length > 0) return;
    this.stopping = false;
    for (let i = 0; i < this.concurrency; i++) this.loops.push(this.loop());
  }

  /** Lets in-flight imports finish (they commit or roll back), then resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** Wakes idle loops (after a hook queued work). */
  wake(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  /** Leases and imports one due job; false when none was due. */
  async runOnce(): Promise<boolean> {
    const now = this.clock.now();
    const leaseUntil = new Date(Date.parse(now) + this.leaseMs).toISOString();
    const [job] = await this.uow.transaction((stores) => stores.hooks.leaseImports(now, leaseUntil, 1));
    if (job === undefined) return false;
    let reading: ImportReading;
    try {
      reading = await this.importer.read({ ...job, reference: job.digest });
    } catch (err) {
      await this.recordFailure(job, err);
      return true;
    }
    try {
      const done = await this.uow.transaction(async (stores) => {
        if (!(await stores.hooks.holdLease(job.signingId, leaseUntil))) return undefined;
        const witness = { projectId: job.projectId, witnessId: job.witnessId };
        const ctx = internalContext(`hook-import-${job.signingId}`, job.actor);
        const names = reading.image ? await this.importer.record(stores, ctx, witness, reading.image, reading.verified) : [];
        const status: ImportStatus = names.length > 0 ? 'IMPORTED' : 'REJECTED';
        const reason = reading.rejected.join('; ').slice(0, MAX_REASON);
        await stores.hooks.markImported(job.signingId, status, [...new Set(names)], reason, this.clock.now());
        return { status, names };
      });
      if (done === undefined) {
        this.logger.warn({ import: job.signingId }, 'registry import lease ran out while reading; another loop owns it now');
      } else {
        this.metrics?.imported(done.status);
        this.logger.info(
          { import: job.signingId, image: reading.image?.written, status: done.status, occurrences: done.names },
          'registry signatures imported',
        );
      }
    } catch (err) {
      await this.recordFailure(job, err);
    }
    return true;
  }

  private async recordFailure(job: ImportJob, err: unknown): Promise<void> {
    const apiError = err instanceof ApiError ? err : err instanceof RegistryError ? undefined : this.uow.classifyError(err);
    const registryError = err instanceof RegistryError ? err : undefined;
    const permanent = (registryError !== undefined && !registryError.retryable) || (apiError !== undefined && PERMANENT.has(apiError.code));
    const final = permanent || job.attempts + 1 >= this.maxAttempts;
    const reason = registryError
      ? `registry ${registryError.reason}: ${registryError.message}`
      : apiError
        ? `${apiError.code}: ${apiError.message}`
        : 'internal error while importing (see the attestd log)';
    const now = this.clock.now();
    const next = new Date(Date.parse(now) + Math.min(this.backoffMaxMs, this.backoffMs * 2 ** job.attempts)).toISOString();
    (registryError || apiError ? this.logger.warn.bind(this.logger) : this.logger.error.bind(this.logger))(
      {
        import: job.signingId,
        manifest: `${job.registry}/${job.repository}@${job.digest}`,
        attempt: job.attempts + 1,
        final,
        err: registryError || apiError ? reason : err,
      },
      final ? 'registry import failed for good' : 'registry import failed; retrying',
    );
    try {
      await this.uow.transaction((stores) => stores.hooks.markAttemptFailed(job.signingId, reason.slice(0, MAX_REASON), final, next, now));
      this.metrics?.importFailed(final);
    } catch (e) {
      // The job stays PENDING and is leased again once its lease runs out: the attempt is simply not counted.
      this.logger.warn({ import: job.signingId, err: (e as Error).message }, 'could not record a failed import attempt');
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let worked = false;
      try {
        worked = await this.runOnce();
        failures = 0;
      } catch (err) {
        failures++;
        this.logger.warn({ err: (err as Error).message, failures }, 'import worker cannot reach the outbox; backing off');
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
