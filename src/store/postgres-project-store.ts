import type { Knex } from 'knex';
import type { ProjectContents, ProjectRecord, ProjectStore } from '../projects/project-store';
import { keysetPage, plainPage } from './keyset-page';
import type { PageTokens } from './page-token';

/** Projects in Postgres. */
export class PostgresProjectStore implements ProjectStore {
  constructor(
    private readonly db: Knex,
    private readonly tokens: PageTokens,
  ) {}

  async insert(record: ProjectRecord): Promise<boolean> {
    const rows = await this.db('projects')
      .insert({ project_id: record.projectId, create_time: record.createTime })
      .onConflict('project_id')
      .ignore()
      .returning('project_id');
    return rows.length === 1;
  }

  async get(projectId: string): Promise<ProjectRecord | undefined> {
    const row = await this.db('projects').where({ project_id: projectId }).first('project_id', 'create_time');
    return row ? toRecord(row) : undefined;
  }

  async lockShared(projectId: string): Promise<boolean> {
    const rows = await this.db('projects').where({ project_id: projectId }).forKeyShare().select('project_id');
    return rows.length === 1;
  }

  async list(pageSize: number, pageToken: string | undefined): Promise<{ items: ProjectRecord[]; nextPageToken: string }> {
    const base = this.db('projects').select('project_id', 'create_time');
    return keysetPage(this.tokens, base, plainPage('project_id', 'projects', pageSize, pageToken), toRecord);
  }

  async contents(projectId: string): Promise<ProjectContents> {
    const row = await this.db
      .select(
        this.db.raw('(SELECT count(*) FROM notes WHERE project_id = ?) AS notes', [projectId]),
        this.db.raw('(SELECT count(*) FROM occurrences WHERE project_id = ?) AS occurrences', [projectId]),
        this.db.raw(
          '(SELECT count(*) FROM occurrences WHERE note_project_id = ? AND project_id <> ?) AS foreign_references',
          [projectId, projectId],
        ),
      )
      .first();
    return {
      notes: Number(row.notes),
      occurrences: Number(row.occurrences),
      foreignReferences: Number(row.foreign_references),
    };
  }

  async deleteWithContents(projectId: string): Promise<boolean> {
    await this.db('occurrences').where({ project_id: projectId }).delete();
    await this.db('notes').where({ project_id: projectId }).delete();
    const n = await this.db('projects').where({ project_id: projectId }).delete();
    return n > 0;
  }
}

function toRecord(row: { project_id: string; create_time: Date }): ProjectRecord {
  return { projectId: row.project_id, createTime: new Date(row.create_time).toISOString() };
}
