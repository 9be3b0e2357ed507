import type { Clock } from '../domain/clock';
import type { Logger } from '../logger';
import type { UnitOfWork } from '../domain/stores/unit-of-work';

/** How often retention runs. */
const INTERVAL_MS = 60 * 60 * 1000;

/**
 * Registries notify about every pull and blob too: attestd acknowledges those and records why it
 * ignored them, and remembers every event id to make redeliveries no-ops. Both are kept for
 * `retentionDays`, then forgotten; signing history (events that queued a signing) is kept.
 */
export class HookRetention {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly retentionDays: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), INTERVAL_MS);
    this.timer.unref();
    void this.runOnce();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Deletes what is older than the retention; never throws (a database outage just skips a round). */
  async runOnce(): Promise<number> {
    const before = new Date(Date.parse(this.clock.now()) - this.retentionDays * 86_400_000).toISOString();
    try {
      const deleted = await this.uow.transaction((stores) => stores.hooks.prune(before));
      if (deleted > 0) this.logger.info({ deleted, before }, 'forgot ignored registry events and receipts past their retention');
      return deleted;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'hook retention skipped this round');
      return 0;
    }
  }
}
