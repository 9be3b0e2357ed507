import { projectOf } from '../domain/audit-event';
import { recordAll, type ChangeRecorder } from '../domain/stores/change-recorder';

/** The projects the resources belong to. */
function projectsOf(resources: readonly string[]): string[] {
  return resources.map(projectOf).filter((p): p is string => p !== undefined);
}

/**
 * Wraps a recorder so every recorded change marks its project as changed by the transaction: this
 * process's caches drop its verdicts once the transaction commits, other replicas' once the change's audit
 * event is chained (AuditSequencer).
 */
export function touchingRecorder(inner: ChangeRecorder): ChangeRecorder {
  return {
    async record(stores, ctx, method, resource) {
      stores.touch(projectsOf([resource]));
      await inner.record(stores, ctx, method, resource);
    },
    async recordMany(stores, ctx, method, resources) {
      stores.touch(projectsOf(resources));
      if (inner.recordMany) await inner.recordMany(stores, ctx, method, resources);
      else for (const r of resources) await inner.record(stores, ctx, method, r);
    },
    prepareMany(stores, ctx, method, resources) {
      stores.touch(projectsOf(resources));
      return inner.prepareMany(stores, ctx, method, resources);
    },
    async recordEach(stores, changes) {
      stores.touch(projectsOf(changes.map((c) => c.resource)));
      await recordAll(inner, stores, changes);
    },
  };
}
