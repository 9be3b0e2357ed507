import type { Clock } from '../domain/clock';
import type { RequestContext } from '../domain/request-context';
import type { ChangeRecorder, RecordedChange } from '../domain/stores/change-recorder';
import type { Stores } from '../domain/stores/unit-of-work';
import { projectOf, SYSTEM_CHAIN, type AuditKind, type NewAuditEvent } from '../domain/audit-event';

/** One event to append: what kind, how (method) and on what. */
export interface AuditEntry {
  readonly kind: AuditKind;
  readonly method: string;
  readonly resource: string;
  readonly details?: Record<string, unknown>;
}

/** Appends a change (or decision) event to its project's chain inside the caller's transaction (unchained until the sequencer runs). */
export class AuditRecorder implements ChangeRecorder {
  constructor(private readonly clock: Clock) {}

  /** ChangeRecorder: records a committed change; it rolls back with the change. */
  async record(stores: Stores, ctx: RequestContext, method: string, resource: string): Promise<void> {
    await stores.audit.appendMany([this.event(ctx, { kind: 'change', method, resource })]);
  }

  /** ChangeRecorder: records one change per resource with a single append round (batch creates). */
  async recordMany(stores: Stores, ctx: RequestContext, method: string, resources: readonly string[]): Promise<void> {
    await stores.audit.appendMany(this.prepareMany(stores, ctx, method, resources));
  }

  /** ChangeRecorder: the events recordMany appends, for a store to write with the change itself. */
  prepareMany(_stores: Stores, ctx: RequestContext, method: string, resources: readonly string[]): NewAuditEvent[] {
    return resources.map((resource) => this.event(ctx, { kind: 'change', method, resource }));
  }

  /** ChangeRecorder: one change per entry, each with its own caller, with a single append round (hook signing batches). */
  async recordEach(stores: Stores, changes: readonly RecordedChange[]): Promise<void> {
    await stores.audit.appendMany(changes.map((c) => this.event(c.ctx, { kind: 'change', method: c.method, resource: c.resource })));
  }

  /**
   * Appends events of any kind (admission decisions use kind `decision`), each with its caller, chained at once
   * in the caller's transaction: for batches written off the request path (AuditStore.appendChained).
   */
  async appendChainedEach(stores: Stores, entries: readonly (AuditEntry & { ctx: RequestContext })[]): Promise<void> {
    await stores.audit.appendChained(entries.map((e) => this.event(e.ctx, e)));
  }

  private event(ctx: RequestContext, e: AuditEntry): NewAuditEvent {
    return {
      projectId: projectOf(e.resource) ?? SYSTEM_CHAIN,
      time: this.clock.now(),
      actor: ctx.principal?.subject ?? 'anonymous',
      method: e.method,
      resource: e.resource,
      requestId: ctx.requestId,
      kind: e.kind,
      details: { transport: ctx.transport, ...e.details },
    };
  }
}
