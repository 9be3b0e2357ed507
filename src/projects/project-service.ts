import type { Access } from '../auth/access';
import { alreadyExists, failedPrecondition, notFound } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { parseProjectName, projectName } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import type { ChangeRecorder } from '../domain/stores/change-recorder';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import type { ProjectRecord } from '../domain/stores/project-store';

/** A project as the API shows it. */
export interface Project {
  readonly name: string;
  readonly createTime: string;
}

/** Tenants: every note, occurrence and attestd resource lives in a project created explicitly. */
export class ProjectService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly changes: ChangeRecorder,
  ) {}

  async create(ctx: RequestContext, name: string): Promise<Project> {
    const projectId = parseProjectName(name);
    this.access.check(ctx, 'projects.create', projectId);
    const record: ProjectRecord = { projectId, createTime: this.clock.now() };
    return this.uow.transaction(async (stores) => {
      if (!(await stores.projects.insert(record))) throw alreadyExists(`project ${projectName(projectId)} already exists`);
      await this.changes.record(stores, ctx, 'CreateProject', projectName(projectId));
      return toProject(record);
    });
  }

  async get(ctx: RequestContext, name: string): Promise<Project> {
    const projectId = parseProjectName(name);
    this.access.check(ctx, 'projects.get', projectId);
    const record = await this.uow.stores.projects.get(projectId);
    if (!record) throw notFound(`project ${projectName(projectId)} does not exist`);
    return toProject(record);
  }

  /** Lists the projects the caller may read. */
  async list(
    ctx: RequestContext,
    pageSize: number,
    pageToken: string | undefined,
  ): Promise<{ projects: Project[]; nextPageToken: string }> {
    const visible = this.access.visibleProjects(ctx, 'projects.list');
    if (visible) {
      const records = await Promise.all(visible.sort().map((id) => this.uow.stores.projects.get(id)));
      return { projects: records.filter((r): r is ProjectRecord => !!r).map(toProject), nextPageToken: '' };
    }
    const page = await this.uow.stores.projects.list(pageSize, pageToken);
    return { projects: page.items.map(toProject), nextPageToken: page.nextPageToken };
  }

  /**
   * Deletes a project. One that holds anything (notes, occurrences, keys, witnesses, policies, signing
   * rules) is refused unless `force` is set; with `force`, all of it goes in one transaction — but never
   * while another project's occurrences still point at its notes (no dangling references). Its audit
   * trail stays.
   */
  async delete(ctx: RequestContext, name: string, force: boolean): Promise<void> {
    const projectId = parseProjectName(name);
    this.access.check(ctx, 'projects.delete', projectId);
    await this.uow.transaction(async (stores) => {
      const contents = await stores.projects.contents(projectId);
      if (contents.foreignReferences > 0) {
        throw failedPrecondition(
          `project ${projectName(projectId)} cannot be deleted: ${contents.foreignReferences} occurrence(s) in other projects reference its notes`,
        );
      }
      const held = Object.entries(contents).filter(([k, n]) => k !== 'foreignReferences' && n > 0);
      if (!force && held.length > 0) {
        throw failedPrecondition(
          `project ${projectName(projectId)} holds ${held.map(([k, n]) => `${n} ${k}`).join(', ')}; delete them first or pass force=true to delete them (keys included) with it`,
        );
      }
      if (!(await stores.projects.deleteWithContents(projectId))) {
        throw notFound(`project ${projectName(projectId)} does not exist`);
      }
      await this.changes.record(stores, ctx, 'DeleteProject', projectName(projectId));
    });
  }
}

function toProject(r: ProjectRecord): Project {
  return { name: projectName(r.projectId), createTime: r.createTime };
}
