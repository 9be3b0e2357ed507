import type { Clock } from '../domain/clock';
import type { Principal } from '../domain/request-context';
import type { TokenRecord } from '../domain/stores/token-store';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import type { Logger } from '../logger';

/** How often new tokens are written, and how many wait at most (more are recorded on a later use). */
export const SIGHTINGS_FLUSH_MS = 1000;
const MAX_WAITING = 1000;
/** How many recorded jtis a replica remembers before it forgets them all (and re-records, harmlessly). */
const MAX_KNOWN = 50_000;

/**
 * Records every token attestd verifies, by jti, the first time a replica sees it (subject, roles, issue and
 * expiry; never the token): `attestd token list` shows the bootstrap token and those minted offline with
 * `attestd token create` once they are used. Off the request path: written in batches by a timer.
 */
export class TokenSightings {
  private readonly known = new Set<string>();
  private waiting = new Map<string, TokenRecord>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly flushMs = SIGHTINGS_FLUSH_MS,
  ) {}

  /** Notes the principal's token when this replica has not recorded it yet. */
  note(principal: Principal): void {
    const t = principal.token;
    if (!t || this.known.has(t.id) || this.waiting.has(t.id) || this.waiting.size >= MAX_WAITING) return;
    this.waiting.set(t.id, {
      jti: t.id,
      subject: principal.subject,
      roles: principal.roles,
      issueTime: t.issueTime,
      expireTime: t.expireTime,
      recordTime: this.clock.now(),
      revokedBy: '',
    });
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Writes the tokens noted so far; on failure they are dropped and recorded on their next use. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.waiting.size === 0) return;
      const batch = [...this.waiting.values()];
      this.waiting = new Map();
      try {
        await this.uow.stores.tokens.recordSeen(batch);
        if (this.known.size + batch.length > MAX_KNOWN) this.known.clear();
        for (const r of batch) this.known.add(r.jti);
      } catch (err) {
        this.logger.warn(
          { err: (err as Error).message, tokens: batch.length },
          'tokens seen could not be recorded; retried on their next use',
        );
      }
    });
    return this.flushing;
  }
}
