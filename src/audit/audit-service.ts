import type { Access } from '../auth/access';
import { parseProjectName } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import type { ListQuery, Page } from '../domain/message-types';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import { SYSTEM_CHAIN, type AuditEvent } from '../domain/audit-event';
import type { AuditSequencer } from './audit-sequencer';

/** Browsing the audit trail: viewers of a project read its chain; `projects/-` (no project) needs a `*` grant. */
export class AuditService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly sequencer: AuditSequencer,
  ) {}

  async list(ctx: RequestContext, parent: string, query: ListQuery): Promise<Page<AuditEvent>> {
    const projectId = parent === `projects/${SYSTEM_CHAIN}` ? SYSTEM_CHAIN : parseProjectName(parent, 'parent');
    this.access.check(ctx, 'auditEvents.list', projectId === SYSTEM_CHAIN ? '*' : projectId);
    // Events are chained just after their commit; chaining what is pending first means the list shows every
    // event committed before this call (read-your-writes for auditors).
    await this.sequencer.flush(projectId);
    return this.uow.stores.audit.list(projectId, query);
  }
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
