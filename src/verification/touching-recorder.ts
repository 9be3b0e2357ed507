import { projectOf } from '../audit/audit-event';
import type { ChangeRecorder } from '../grafeas/change-recorder';

/** Wraps a recorder so every recorded change also marks its project as touched by the transaction. */
export function touchingRecorder(inner: ChangeRecorder): ChangeRecorder {
  return {
    async record(stores, ctx, method, resource) {
      await inner.record(stores, ctx, method, resource);
      const projectId = projectOf(resource);
      if (projectId) stores.touched.add(projectId);
    },
  };
}
