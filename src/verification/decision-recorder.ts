import { newId } from '../domain/new-id';
import { storableJsonText, storableText } from '../domain/storable-text';
import type { AuditRecorder } from '../audit/audit-recorder';
import type { RequestContext } from '../domain/request-context';
import type { Logger } from '../logger';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import type { DecisionRecord } from '../domain/stores/decision-store';
import type { ImageResult, VerifyInput } from './verdict';

/** The longest a decision waits in the buffer before it is written (the contract allows 5 s). */
export const DECISION_FLUSH_MS = 1000;
/** Most decisions held while the database is away; past it, reviews fail closed rather than go unrecorded. */
const MAX_BUFFERED_DECISIONS = 50000;
/**
 * Decisions written per transaction, and the count at which the buffer is written without waiting for the timer.
 * Building a slice's rows and chained audit events is synchronous work: a whole second's batch at once held the
 * event loop for tens of milliseconds while reviews waited, and a second of buffered decisions survived the young
 * generation's collections, which had to copy them (docs/performance.md). Between slices the recorder yields to
 * the event loop.
 */
export const DECISION_SLICE = 100;

/** What the recorder reports: decisions it had to give up on, and how many wait in its buffer. */
export interface DecisionRecorderMetrics {
  readonly dropped: () => void;
}

/**
 * A buffered decision: its columns, its body and who asked (for its audit event). The body stays an object until
 * its slice is written, then is made into JSON text once: its results share their lists with the cached verdicts,
 * so as objects they hold a fraction of the memory their text would while they wait (docs/performance.md).
 */
interface Pending {
  readonly record: Omit<DecisionRecord, 'body' | 'images'>;
  readonly body: { readonly results: readonly ImageResult[] };
  readonly ctx: RequestContext;
}

/**
 * Records every decision with its audit event. Decisions are buffered and written, in order, in slices of
 * DECISION_SLICE (one transaction each: a decision and its audit event commit together) as soon as a slice's worth
 * is buffered and no write is under way, and at the latest DECISION_FLUSH_MS after they were taken; the admission
 * path never waits on a write nor on the building of one. While the database is away they stay buffered, the
 * unwritten slices ahead of newer decisions, and are retried on the timer only (not per slice buffered); a full
 * buffer refuses new decisions (record returns undefined) so that no review is answered with a decision that will
 * never exist (ADR 0055).
 */
export class DecisionRecorder {
  private buffer: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Decisions taken out of the buffer by the write under way and not yet settled; they count against the bound. */
  private writing = 0;
  /** Flushes asked for and not finished: while one is, a full slice waits for it rather than queueing another. */
  private flushes = 0;
  /** The write queued behind the one under way, not yet begun, and whether it takes the whole buffer. */
  private queued: Promise<void> | undefined;
  private queuedTakesAll = false;
  /** The database was unavailable at the last write: only the timer retries, so an outage is not retried per slice. */
  private backingOff = false;

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
    if (this.pending >= this.maxBuffered) {
      this.metrics.dropped();
      this.logger.error(
        { cluster: input.cluster, namespace: input.namespace },
        'decision buffer full: the database is not keeping up; the review is refused rather than left unrecorded',
      );
      return undefined;
    }
    const decisionId = newId();
    const name = `projects/${projectId}/decisions/${decisionId}`;
    const allowed = results.every((r) => r.allowed);
    const actor = ctx.principal?.subject ?? 'anonymous';
    const body = {
      name,
      time,
      cluster: input.cluster,
      namespace: input.namespace,
      allowed,
      source: input.source,
      actor,
      ...(input.review ? { review: input.review } : {}),
      breakglass: input.breakglass,
      results,
    };
    this.buffer.push({
      ctx,
      body,
      record: {
        decisionId,
        projectId,
        time,
        cluster: input.cluster,
        namespace: input.namespace,
        allowed,
        source: input.source,
        objectKind: storableText(input.review?.kind ?? ''),
        actor: storableText(actor),
      },
    });
    if (this.buffer.length >= DECISION_SLICE && this.flushes === 0 && !this.backingOff) void this.startWrite(false);
    else this.timer ??= setTimeout(() => void this.flush(), DECISION_FLUSH_MS);
    return name;
  }

  /**
   * Writes everything buffered (also called on shutdown, and by the timer), after any write under way: the buffer
   * is taken when this write starts, so a batch is never out of the buffer without being counted, nor written ahead
   * of older decisions that an earlier write had to put back.
   */
  flush(): Promise<void> {
    return this.startWrite(true);
  }

  /**
   * Queues a write of the buffer (all of it, or only its whole slices: a slice's worth gathered while the last
   * write ran is written at once, the rest waits for more or for the timer). A write asked for while one is
   * queued and not yet begun joins it: that one takes the buffer when it begins.
   */
  private startWrite(all: boolean): Promise<void> {
    if (all) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.backingOff = false;
    }
    if (this.queued) {
      this.queuedTakesAll ||= all;
      return this.queued;
    }
    this.queuedTakesAll = all;
    this.flushes++;
    const queued = this.flushing.then(async () => {
      this.queued = undefined;
      const take = this.queuedTakesAll ? this.buffer.length : this.buffer.length - (this.buffer.length % DECISION_SLICE);
      const batch = this.buffer.slice(0, take);
      this.buffer = this.buffer.slice(take);
      try {
        if (batch.length) await this.write(batch);
      } finally {
        this.flushes--;
      }
      if (this.buffer.length >= DECISION_SLICE && this.flushes === 0 && !this.backingOff) void this.startWrite(false);
    });
    this.queued = queued;
    this.flushing = queued;
    return queued;
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
          this.backingOff = true;
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
        this.logger.error({ decision: decisionName(p.record), err: (err as Error).message }, 'decision could not be recorded');
      }
    }
    return slice.length;
  }

  private unavailable(err: unknown): boolean {
    return this.uow.classifyError(err)?.code === 'UNAVAILABLE';
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    await this.uow.transaction(async (stores) => {
      await stores.decisions.insert(batch.map(storedDecision));
      await this.audit.appendChainedEach(
        stores,
        batch.map((p) => ({
          ctx: p.ctx,
          kind: 'decision' as const,
          method: p.record.source === 'admission' ? 'AdmissionReview' : 'VerifyImages',
          resource: decisionName(p.record),
          details: { allowed: p.record.allowed, cluster: p.record.cluster, namespace: p.record.namespace },
        })),
      );
    });
  }
}

function decisionName(r: Pick<DecisionRecord, 'projectId' | 'decisionId'>): string {
  return `projects/${r.projectId}/decisions/${r.decisionId}`;
}

/** The row of a buffered decision, its body made into JSON text (the only time it is stringified). */
function storedDecision(p: Pending): DecisionRecord {
  return { ...p.record, images: p.body.results.map((r) => storableText(r.image)), body: storableJsonText(p.body) };
}
