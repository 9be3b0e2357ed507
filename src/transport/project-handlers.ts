import type { JsonObject } from '../domain/message-types';
import type { ProjectService } from '../projects/project-service';
import { paging } from './request-fields';
import type { ServiceHandlers } from './rpc-handler';

/** attestd.v1.Projects over the project service. */
export function projectHandlers(projects: ProjectService): ServiceHandlers {
  return {
    service: 'attestd.v1.Projects',
    methods: {
      CreateProject: async (ctx, r) => ({ ...(await projects.create(ctx, String((r.project as JsonObject | undefined)?.name ?? ''))) }),
      GetProject: async (ctx, r) => ({ ...(await projects.get(ctx, String(r.name ?? ''))) }),
      ListProjects: async (ctx, r) => {
        const { pageSize, pageToken } = paging(r);
        const page = await projects.list(ctx, pageSize, pageToken);
        return { projects: page.projects, nextPageToken: page.nextPageToken };
      },
      DeleteProject: async (ctx, r) => {
        await projects.delete(ctx, String(r.name ?? ''), r.force === true);
        return {};
      },
    },
  };
}
