import { projectOf } from '../audit/audit-event';
import { recordAll, type ChangeRecorder } from '../grafeas/change-recorder';

/** Wraps a recorder so every recorded change also marks its project as touched by the transaction. */
export function touchingRecorder(inner: ChangeRecorder): ChangeRecorder {
  return {
    async record(stores, ctx, method, resource) {
      await inner.record(stores, ctx, method, resource);
      const projectId = projectOf(resource);
      if (projectId) stores.touched.add(projectId);
    },
    async recordMany(stores, ctx, method, resources) {
      if (inner.recordMany) await inner.recordMany(stores, ctx, method, resources);
      else for (const r of resources) await inner.record(stores, ctx, method, r);
      for (const r of resources) {
        const projectId = projectOf(r);
        if (projectId) stores.touched.add(projectId);
      }
    },
    async recordEach(stores, changes) {
      await recordAll(inner, stores, changes);
      for (const c of changes) {
        const projectId = projectOf(c.resource);
        if (projectId) stores.touched.add(projectId);
      }
    },
  };
}
