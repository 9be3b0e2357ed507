import type { Logger } from '../logger';
import type { UnitOfWork } from '../domain/stores/unit-of-work';

/** Events chained per transaction. */
export const SEQUENCE_BATCH = 1000;
/** How often every replica looks for events nobody chained (their writer stopped before it could). */
export const SEQUENCE_SWEEP_MS = 1000;

/**
 * Chains audit events off the request path (ADR 0009). A write commits its events unchained; right after the
 * commit its process wakes the sequencer for the project, which — one run at a time per project in this
 * process, serialized with other replicas by the chain head's row lock — chains everything pending in one
 * transaction per SEQUENCE_BATCH events, and announces committed changes to other replicas (NOTIFY) in that
 * same transaction. A sweep picks up what a stopped writer left behind. Readers of the trail call `flush`
 * first, so they see every event committed before their call.
 */
export class AuditSequencer {
  /** Per project: the run that has not started yet (later wake-ups join it), and the newest run. */
  private readonly queued = new Map<string, Promise<void>>();
  private readonly newest = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly logger: Logger,
    private readonly options: { batch?: number; sweepMs?: number } = {},
  ) {}

  /** Starts the periodic sweep. */
  start(): void {
    this.timer ??= setInterval(() => void this.sweep(), this.options.sweepMs ?? SEQUENCE_SWEEP_MS);
    this.timer.unref();
  }

  /** Wakes the sequencer for projects whose events just committed; failures are logged and left to the sweep. */
  wake(projectIds: Iterable<string>): void {
    for (const p of projectIds) this.run(p).catch((err: Error) => this.failed(p, err));
  }

  /** Chains every event of the project committed before this call; rejects if that cannot be done now. */
  flush(projectId: string): Promise<void> {
    return this.run(projectId);
  }

  /** Chains every pending event of every project; resolves how many projects had some. */
  async flushAll(): Promise<number> {
    const projects = await this.uow.stores.audit.pendingProjects();
    await Promise.all(projects.map((p) => this.run(p)));
    return projects.length;
  }

  /** Stops the sweep and chains what is still pending (after the transports and recorders have stopped). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
    await Promise.allSettled([...this.newest.values()]);
    await this.flushAll().catch((err: Error) =>
      this.logger.warn({ err: err.message }, 'audit events left unchained at shutdown; the next start chains them'),
    );
  }

  private sweep(): Promise<void> {
    this.sweeping ??= this.flushAll()
      .then(() => this.recovered())
      .catch((err: Error) => this.failed(undefined, err))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  /** Queues a run for the project after its newest one, or joins the queued run that has not started yet. */
  private run(projectId: string): Promise<void> {
    const queued = this.queued.get(projectId);
    if (queued) return queued;
    const previous = this.newest.get(projectId) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(projectId);
        return this.drain(projectId);
      });
    this.queued.set(projectId, next);
    this.newest.set(projectId, next);
    const forget = (): void => {
      if (this.newest.get(projectId) === next) this.newest.delete(projectId);
    };
    next.then(forget, forget);
    return next;
  }

  /** Rounds of one transaction each until a round finds fewer events than a batch. */
  private async drain(projectId: string): Promise<void> {
    const batch = this.options.batch ?? SEQUENCE_BATCH;
    for (;;) {
      const round = await this.uow.transaction(async (stores) => {
        const r = await stores.audit.sequence(projectId, batch);
        if (r.changes > 0) await stores.notifyChanged([projectId]);
        return r;
      });
      if (round.events < batch) return;
    }
  }

  private failed(projectId: string | undefined, err: Error): void {
    if (this.failing) return;
    this.failing = true;
    this.logger.warn({ project: projectId, err: err.message }, 'audit events could not be chained yet; retrying every second');
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.info('audit events are being chained again');
  }
}
