import { projectOf } from '../audit/audit-event';
import { recordAll, type ChangeRecorder } from '../grafeas/change-recorder';

/** The projects the resources belong to. */
function projectsOf(resources: readonly string[]): string[] {
  return resources.map(projectOf).filter((p): p is string => p !== undefined);
}

/**
 * Wraps a recorder so every recorded change first announces its project as changed by the transaction
 * (caches of this and other replicas drop its verdicts once the transaction commits).
 */
export function touchingRecorder(inner: ChangeRecorder): ChangeRecorder {
  return {
    async record(stores, ctx, method, resource) {
      await stores.announce(projectsOf([resource]));
      await inner.record(stores, ctx, method, resource);
    },
    async recordMany(stores, ctx, method, resources) {
      await stores.announce(projectsOf(resources));
      if (inner.recordMany) await inner.recordMany(stores, ctx, method, resources);
      else for (const r of resources) await inner.record(stores, ctx, method, r);
    },
    async recordEach(stores, changes) {
      await stores.announce(projectsOf(changes.map((c) => c.resource)));
      await recordAll(inner, stores, changes);
    },
  };
}
