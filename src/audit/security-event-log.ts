import type { ErrorCode } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import type { Logger } from '../logger';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import { SYSTEM_CHAIN } from '../domain/audit-event';

/** A refused call (401 or 403), as the transports saw it. */
export interface RefusedCall {
  /** The project the call named, if any; unknown projects go to the `-` chain. */
  readonly projectId: string | undefined;
  readonly actor: string;
  readonly method: string;
  readonly resource: string;
  readonly requestId: string;
  readonly transport: string;
  readonly code: ErrorCode;
  readonly reason: string;
}

interface Pending {
  call: RefusedCall;
  count: number;
  first: string;
  last: string;
}

/** How often refused calls are written, and how many distinct ones are kept per interval. */
export const SECURITY_FLUSH_MS = 5000;
export const SECURITY_MAX_KEYS = 50;

/**
 * Records refused calls as `security` audit events, coalesced: identical refusals (same project, actor,
 * method, resource, code and reason) within one flush interval become one event with a count, at most
 * SECURITY_MAX_KEYS distinct ones per interval plus one overflow summary. A flood therefore adds a bounded
 * number of rows however many requests it sends. Each event is written in its own small transaction.
 */
export class SecurityEventLog {
  private pending = new Map<string, Pending>();
  private overflow = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: { flushMs?: number; maxKeys?: number } = {},
  ) {}

  /** Notes a refused call; cheap and synchronous, never throws. */
  note(call: RefusedCall): void {
    const key = JSON.stringify([call.projectId ?? '', call.actor, call.method, call.resource, call.code, call.reason]);
    const now = this.clock.now();
    const p = this.pending.get(key);
    if (p) {
      p.count++;
      p.last = now;
    } else if (this.pending.size >= (this.options.maxKeys ?? SECURITY_MAX_KEYS)) {
      this.overflow++;
    } else {
      this.pending.set(key, { call, count: 1, first: now, last: now });
    }
  }

  /** Writes what was noted since the last flush. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.options.flushMs ?? SECURITY_FLUSH_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async write(): Promise<void> {
    const batch = [...this.pending.values()];
    const overflow = this.overflow;
    this.pending = new Map();
    this.overflow = 0;
    for (const p of batch) {
      const { call } = p;
      await this.append(call.projectId, {
        actor: call.actor,
        method: call.method,
        resource: call.resource,
        requestId: call.requestId,
        details: { code: call.code, reason: call.reason, transport: call.transport, count: p.count, firstTime: p.first, lastTime: p.last },
      });
    }
    if (overflow > 0) {
      const now = this.clock.now();
      await this.append(undefined, {
        actor: 'attestd',
        method: 'RefusedCallsOverflow',
        resource: '',
        requestId: '',
        details: {
          reason: `more than ${this.options.maxKeys ?? SECURITY_MAX_KEYS} distinct refused calls in one interval; these were counted only`,
          count: overflow,
          lastTime: now,
        },
      });
    }
  }

  private async append(
    projectId: string | undefined,
    e: { actor: string; method: string; resource: string; requestId: string; details: Record<string, unknown> },
  ): Promise<void> {
    try {
      await this.uow.transaction(async (stores) => {
        const chain = projectId && (await stores.projects.get(projectId)) ? projectId : SYSTEM_CHAIN;
        await stores.audit.appendMany([{ projectId: chain, time: this.clock.now(), kind: 'security', ...e }]);
      });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not record a security audit event');
    }
  }
}
