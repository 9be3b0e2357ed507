import type { Knex } from 'knex';
import type { ProjectContents, ProjectRecord, ProjectStore } from '../domain/stores/project-store';
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
    const count = (table: string) => this.db.raw(`(SELECT count(*) FROM ${table} WHERE project_id = ?) AS ${table}`, [projectId]);
    const row = await this.db
      .select(
        count('notes'),
        count('occurrences'),
        count('keys'),
        count('witnesses'),
        count('policies'),
        count('signing_rules'),
        count('import_rules'),
        this.db.raw('(SELECT count(*) FROM occurrences WHERE note_project_id = ? AND project_id <> ?) AS foreign_references', [
          projectId,
          projectId,
        ]),
      )
      .first();
    return {
      notes: Number(row.notes),
      occurrences: Number(row.occurrences),
      keys: Number(row.keys),
      witnesses: Number(row.witnesses),
      policies: Number(row.policies),
      signingRules: Number(row.signing_rules),
      importRules: Number(row.import_rules),
      foreignReferences: Number(row.foreign_references),
    };
  }

  async deleteWithContents(projectId: string): Promise<boolean> {
    // Children before parents; policy_witnesses go with their policies (ON DELETE CASCADE).
    for (const table of [
      'hook_events',
      'hook_signings',
      'hook_receipts',
      'decisions',
      'policies',
      'clusters',
      'signing_rules',
      'import_rules',
      'identity_providers',
      'occurrences',
      'witnesses',
      'notes',
      'key_versions',
      'keys',
    ]) {
      await this.db(table).where({ project_id: projectId }).delete();
    }
    const n = await this.db('projects').where({ project_id: projectId }).delete();
    return n > 0;
  }
}

function toRecord(row: { project_id: string; create_time: Date }): ProjectRecord {
  return { projectId: row.project_id, createTime: new Date(row.create_time).toISOString() };
}
