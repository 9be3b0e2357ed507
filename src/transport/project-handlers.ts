import type { ProjectService } from '../projects/project-service';
import { obj, paging, str } from './request-fields';
import type { ServiceHandlers } from './rpc-handler';

/** attestd.v1.Projects over the project service. */
export function projectHandlers(projects: ProjectService): ServiceHandlers {
  return {
    service: 'attestd.v1.Projects',
    methods: {
      CreateProject: async (ctx, r) => ({ ...(await projects.create(ctx, str(obj(r.project).name))) }),
      GetProject: async (ctx, r) => ({ ...(await projects.get(ctx, str(r.name))) }),
      ListProjects: async (ctx, r) => {
        const { pageSize, pageToken } = paging(r);
        const page = await projects.list(ctx, pageSize, pageToken);
        return { projects: page.projects, nextPageToken: page.nextPageToken };
      },
      DeleteProject: async (ctx, r) => {
        await projects.delete(ctx, str(r.name), r.force === true);
        return {};
      },
    },
  };
}
