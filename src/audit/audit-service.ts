import type { Access } from '../auth/access';
import { parseProjectName } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import type { ListQuery, Page } from '../domain/message-types';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import { SYSTEM_CHAIN, type AuditEvent } from '../domain/audit-event';
import type { AuditSequencer } from './audit-sequencer';
import { readAnchors } from './audit-anchors';
import { verifyAuditChains, type ChainProblem } from './audit-verifier';

/** The outcome of verifying one project's chain. */
export interface ChainVerification {
  readonly projectId: string;
  readonly intact: boolean;
  readonly events: number;
  readonly head: { readonly seq: number; readonly hash: string } | undefined;
  readonly anchors: number;
  readonly pendingEvents: number;
  readonly problems: readonly ChainProblem[];
  readonly time: string;
}

/** Browsing the audit trail: viewers of a project read its chain; `projects/-` (no project) needs a `*` grant. */
export class AuditService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly sequencer: AuditSequencer,
    /** The server's anchor log (DATA_DIR/audit-anchors.log); its heads are checked too. */
    private readonly anchorFile: string,
  ) {}

  async list(ctx: RequestContext, parent: string, query: ListQuery): Promise<Page<AuditEvent>> {
    const projectId = this.readableChain(ctx, parent);
    // Events are chained just after their commit; chaining what is pending first means the list shows every
    // event committed before this call (read-your-writes for auditors).
    await this.sequencer.flush(projectId);
    return this.uow.stores.audit.list(projectId, query);
  }

  /**
   * Verifies one project's chain against its stored head and the server's anchors (the checks of
   * `attestd audit verify`), after chaining what was committed before the call. Authorized like `list`.
   */
  async verify(ctx: RequestContext, parent: string): Promise<ChainVerification> {
    const projectId = this.readableChain(ctx, parent);
    await this.sequencer.flush(projectId);
    const { anchors, badLines } = readAnchors(this.anchorFile);
    const report = await verifyAuditChains(this.uow.stores.audit, anchors, projectId);
    const pendingEvents = await this.uow.stores.audit.pendingCount(projectId);
    const problems: ChainProblem[] = [
      ...report.problems,
      ...badLines.map((line) => ({ projectId, message: `line ${line} of the server's anchor log is not an anchor line` })),
    ];
    return {
      projectId,
      intact: problems.length === 0,
      events: report.events,
      head: report.heads.get(projectId),
      anchors: report.anchors,
      pendingEvents,
      problems,
      time: new Date().toISOString(),
    };
  }

  /** The chain `parent` names, once the caller may read it: `projects/-` needs a `*` grant. */
  private readableChain(ctx: RequestContext, parent: string): string {
    const projectId = parent === `projects/${SYSTEM_CHAIN}` ? SYSTEM_CHAIN : parseProjectName(parent, 'parent');
    this.access.check(ctx, 'auditEvents.list', projectId === SYSTEM_CHAIN ? '*' : projectId);
    return projectId;
  }
}

/** A verification in proto3 JSON (attestd.v1.VerifyAuditChainResponse). */
export function chainVerificationJson(v: ChainVerification): Record<string, unknown> {
  return {
    intact: v.intact,
    events: String(v.events),
    headSeq: String(v.head?.seq ?? 0),
    headHash: v.head?.hash ?? '',
    anchors: v.anchors,
    pendingEvents: String(v.pendingEvents),
    problems: v.problems.map((p) => ({ seq: String(p.seq ?? 0), eventId: p.eventId ?? '', message: p.message })),
    verifyTime: v.time,
  };
}

/** An event in proto3 JSON (attestd.v1.AuditEvent). */
export function auditEventJson(e: AuditEvent): Record<string, unknown> {
  return {
    name: `projects/${e.projectId}/auditEvents/${e.seq}`,
    eventId: e.eventId,
    seq: String(e.seq),
    time: e.time,
    actor: e.actor,
    method: e.method,
    resource: e.resource,
    requestId: e.requestId,
    kind: e.kind,
    details: e.details,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}
