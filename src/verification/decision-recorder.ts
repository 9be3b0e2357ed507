import { newId } from '../domain/new-id';
import { storableJson, storableText } from '../domain/storable-text';
import type { AuditRecorder } from '../audit/audit-recorder';
import type { RequestContext } from '../domain/request-context';
import type { Logger } from '../logger';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import type { DecisionRecord } from '../domain/stores/decision-store';
import type { ImageResult, VerifyInput } from './verdict';

/** How often buffered decisions are written (the contract allows 5 s). */
export const DECISION_FLUSH_MS = 1000;
/** Most decisions held while the database is away; past it, reviews fail closed rather than go unrecorded. */
const MAX_BUFFERED_DECISIONS = 50000;
/**
 * Decisions written per transaction. Building a slice's rows, bodies and chained audit events is synchronous
 * work: a whole second's batch at once held the event loop for tens of milliseconds while reviews waited
 * (docs/performance.md). Between slices the recorder yields to the event loop.
 */
export const DECISION_SLICE = 100;

/** What the recorder reports: decisions it had to give up on, and how many wait in its buffer. */
export interface DecisionRecorderMetrics {
  readonly dropped: () => void;
}

interface Pending {
  readonly record: DecisionRecord;
  readonly ctx: RequestContext;
}

/**
 * Records every decision with its audit event. Decisions are buffered and written about once a second, in
 * order, in slices of DECISION_SLICE (one transaction each: a decision and its audit event commit together), so
 * the admission path never waits on a write nor on the building of one. While the database is away they stay
 * buffered, the unwritten slices ahead of newer decisions, and are written when it returns; a full buffer refuses
 * new decisions (record returns undefined) so that no review is answered with a decision that will never exist
 * (ADR 0055).
 */
export class DecisionRecorder {
  private buffer: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Decisions taken out of the buffer by the write under way and not yet settled; they count against the bound. */
  private writing = 0;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditRecorder,
    private readonly logger: Logger,
    private readonly metrics: DecisionRecorderMetrics = { dropped: () => undefined },
    private readonly maxBuffered = MAX_BUFFERED_DECISIONS,
  ) {}

  /** Decisions waiting to be written (buffered, or in the write under way). */
  get pending(): number {
    return this.buffer.length + this.writing;
  }

  /** Queues a decision and returns its name, or undefined when the buffer is full and it cannot be recorded. */
  record(ctx: RequestContext, projectId: string, input: VerifyInput, results: readonly ImageResult[], time: string): string | undefined {
    const decisionId = newId();
    const name = `projects/${projectId}/decisions/${decisionId}`;
    const allowed = results.every((r) => r.allowed);
    const body = storableJson({
      name,
      time,
      cluster: input.cluster,
      namespace: input.namespace,
      allowed,
      source: input.source,
      actor: ctx.principal?.subject ?? 'anonymous',
      ...(input.review ? { review: input.review } : {}),
      breakglass: input.breakglass,
      results,
    });
    if (this.pending >= this.maxBuffered) {
      this.metrics.dropped();
      this.logger.error(
        { cluster: input.cluster, namespace: input.namespace },
        'decision buffer full: the database is not keeping up; the review is refused rather than left unrecorded',
      );
      return undefined;
    }
    this.buffer.push({
      ctx,
      record: {
        decisionId,
        projectId,
        time,
        cluster: input.cluster,
        namespace: input.namespace,
        allowed,
        source: input.source,
        objectKind: storableText(input.review?.kind ?? ''),
        actor: body.actor,
        body,
      },
    });
    this.timer ??= setTimeout(() => void this.flush(), DECISION_FLUSH_MS);
    return name;
  }

  /**
   * Writes everything buffered (also called on shutdown), after any write under way: the buffer is taken when
   * this write starts, so a batch is never out of the buffer without being counted, nor written ahead of older
   * decisions that an earlier write had to put back.
   */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(() => {
      const batch = this.buffer;
      this.buffer = [];
      return batch.length ? this.write(batch) : undefined;
    });
    return this.flushing;
  }

  private async write(batch: Pending[]): Promise<void> {
    this.writing = batch.length;
    try {
      for (let i = 0; i < batch.length; i += DECISION_SLICE) {
        if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        const slice = batch.slice(i, i + DECISION_SLICE);
        const settled = await this.writeSlice(slice);
        this.writing -= settled;
        if (settled < slice.length) {
          const unwritten = batch.slice(i + settled);
          this.logger.warn({ count: unwritten.length }, 'database unavailable; decisions will be recorded when it returns');
          this.buffer = unwritten.concat(this.buffer);
          this.timer ??= setTimeout(() => void this.flush(), DECISION_FLUSH_MS * 2);
          return;
        }
      }
    } finally {
      this.writing = 0;
    }
  }

  /**
   * Writes one slice; answers how many of its decisions, from the front, are settled (written, or refused for
   * themselves and counted as dropped). The rest were not written because the database is unavailable.
   */
  private async writeSlice(slice: Pending[]): Promise<number> {
    try {
      await this.writeBatch(slice);
      return slice.length;
    } catch (err) {
      if (this.unavailable(err)) return 0;
    }
    // One bad decision (e.g. its project was just deleted) must not hold back the others.
    for (const [i, p] of slice.entries()) {
      try {
        await this.writeBatch([p]);
      } catch (err) {
        if (this.unavailable(err)) return i;
        this.metrics.dropped();
        this.logger.error({ decision: p.record.body.name, err: (err as Error).message }, 'decision could not be recorded');
      }
    }
    return slice.length;
  }

  private unavailable(err: unknown): boolean {
    return this.uow.classifyError(err)?.code === 'UNAVAILABLE';
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    await this.uow.transaction(async (stores) => {
      await stores.decisions.insert(batch.map((p) => p.record));
      await this.audit.appendChainedEach(
        stores,
        batch.map((p) => ({
          ctx: p.ctx,
          kind: 'decision' as const,
          method: p.record.source === 'admission' ? 'AdmissionReview' : 'VerifyImages',
          resource: String(p.record.body.name),
          details: { allowed: p.record.allowed, cluster: p.record.cluster, namespace: p.record.namespace },
        })),
      );
    });
  }
}
