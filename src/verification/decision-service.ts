import type { Access } from '../auth/access';
import { parseProjectName } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import type { JsonObject, ListQuery, Page } from '../domain/message-types';
import type { UnitOfWork } from '../domain/stores/unit-of-work';

/** Browsing recorded decisions. */
export class DecisionService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
  ) {}

  list(ctx: RequestContext, parent: string, query: ListQuery): Promise<Page<JsonObject>> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'decisions.list', projectId);
    return this.uow.stores.decisions.list(projectId, query);
  }
}
