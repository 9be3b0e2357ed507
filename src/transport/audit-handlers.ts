import { auditEventJson, chainVerificationJson, type AuditService } from '../audit/audit-service';
import { listQuery } from '../domain/list-query';
import type { ServiceHandlers } from './rpc-handler';

/** attestd.v1.AuditEvents over the audit service. */
export function auditHandlers(audit: AuditService): ServiceHandlers {
  return {
    service: 'attestd.v1.AuditEvents',
    methods: {
      ListAuditEvents: async (ctx, r) => {
        const page = await audit.list(ctx, typeof r.parent === 'string' ? r.parent : '', listQuery(r));
        return { auditEvents: page.items.map(auditEventJson), nextPageToken: page.nextPageToken };
      },
      VerifyAuditChain: async (ctx, r) => chainVerificationJson(await audit.verify(ctx, typeof r.parent === 'string' ? r.parent : '')),
    },
  };
}
