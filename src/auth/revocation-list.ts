import type { Clock } from '../domain/clock';
import { NO_SIBLINGS, type Siblings } from '../domain/siblings';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import type { Logger } from '../logger';
import { CLOCK_TOLERANCE_SECONDS } from './jwt-authenticator';

/** The topic on which a worker hands the revocations it commits to the other workers of its process group. */
const REVOKED_TOPIC = 'token-revoked';

/** How often each replica reloads the revocations: a token revoked on one replica is refused by all within this. */
export const REVOCATION_REFRESH_MS = 2000;

/**
 * The revoked jtis, in memory, so that every request can be checked without a query: reloaded from the
 * database every REVOCATION_REFRESH_MS (revocations made on other replicas), and updated at once by a
 * revocation made here. While the database cannot be read the last list stays in force.
 */
export class RevocationList {
  private revoked = new Map<string, string>();
  /** Revocations made here, with a sequence number: a reload that began before one cannot drop it. */
  private local: Array<{ jti: string; time: string; seq: number }> = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly siblings: Siblings = NO_SIBLINGS,
    private readonly refreshMs = REVOCATION_REFRESH_MS,
  ) {
    siblings.subscribe(REVOKED_TOPIC, (payload) => {
      const { jti, time } = (payload ?? {}) as { jti?: unknown; time?: unknown };
      if (typeof jti === 'string' && typeof time === 'string') this.remember(jti, time);
    });
  }

  /** When the jti was revoked, or undefined when it is not. */
  revokedAt(jti: string): string | undefined {
    return this.revoked.get(jti);
  }

  /**
   * Puts a revocation this process just committed in force at once, here and in the other workers of its group
   * (resolves once they have it); other replicas have it within REVOCATION_REFRESH_MS.
   */
  async add(jti: string, time: string): Promise<void> {
    this.remember(jti, time);
    await this.siblings.publish(REVOKED_TOPIC, { jti, time });
  }

  private remember(jti: string, time: string): void {
    this.local.push({ jti, time, seq: ++this.seq });
    this.revoked.set(jti, time);
  }

  /** Loads the list once (failing start-up when the database cannot be read), then reloads it on a timer. */
  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.refreshing;
  }

  /** Reloads the revocations still in force (tokens not expired, with the verifier's clock tolerance). */
  async refresh(): Promise<void> {
    const startSeq = this.seq;
    const horizon = new Date(Date.parse(this.clock.now()) - CLOCK_TOLERANCE_SECONDS * 1000).toISOString();
    const loaded = await this.uow.stores.tokens.revocations(horizon);
    const next = new Map(loaded.map((r) => [r.jti, r.revokeTime]));
    this.local = this.local.filter((l) => l.seq > startSeq);
    for (const l of this.local) if (!next.has(l.jti)) next.set(l.jti, l.time);
    this.revoked = next;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.refreshing = this.refresh().then(
        () => {
          if (this.failing) this.logger.info('token revocations reloaded again');
          this.failing = false;
        },
        (err: Error) => {
          if (!this.failing) this.logger.warn({ err: err.message }, 'token revocations cannot be reloaded; the last list stays in force');
          this.failing = true;
        },
      );
      void this.refreshing.finally(() => {
        if (this.timer !== undefined) this.schedule();
      });
    }, this.refreshMs);
    this.timer.unref();
  }
}
