import type { ProjectContents, ProjectRecord, ProjectStore } from '../../domain/stores/project-store';
import type { PageTokens } from '../page-token';
import { refuseIfReferenced } from './memory-storage-error';
import { memoryPage } from './memory-page';
import {
  CLUSTER_ADAPTERS,
  CLUSTERS,
  DECISIONS,
  HOOK_EVENTS,
  HOOK_RECEIPTS,
  HOOK_SIGNINGS,
  IDENTITY_PROVIDERS,
  IMPORT_RULES,
  KEY_VERSIONS,
  KEYS,
  NOTES,
  OCCURRENCES,
  POLICIES,
  PROJECTS,
  SIGNING_RULES,
  WITNESSES,
} from './memory-schema';
import { rowKey, type TableName, type Tables } from './memory-tables';
import { checkText, thaw, timestamp } from './stored-values';

/** Tables of a project's contents, children before parents (the order deleteWithContents empties them in). */
const CONTENTS: readonly TableName<{ readonly projectId: string }>[] = [
  HOOK_EVENTS,
  HOOK_SIGNINGS,
  HOOK_RECEIPTS,
  DECISIONS,
  POLICIES,
  CLUSTER_ADAPTERS,
  CLUSTERS,
  SIGNING_RULES,
  IMPORT_RULES,
  IDENTITY_PROVIDERS,
  OCCURRENCES,
  WITNESSES,
  NOTES,
  KEY_VERSIONS,
  KEYS,
];

/** Projects in memory. */
export class MemoryProjectStore implements ProjectStore {
  constructor(
    private readonly tables: Tables,
    private readonly tokens: PageTokens,
  ) {}

  async insert(record: ProjectRecord): Promise<boolean> {
    const projects = this.tables.table(PROJECTS);
    if (projects.get(rowKey(record.projectId))) return false;
    checkText(record);
    projects.put(Object.freeze({ projectId: record.projectId, createTime: timestamp(record.createTime) }));
    return true;
  }

  async get(projectId: string): Promise<ProjectRecord | undefined> {
    const row = this.tables.table(PROJECTS).get(rowKey(projectId));
    return row ? thaw(row) : undefined;
  }

  async lockShared(projectId: string): Promise<boolean> {
    return this.tables.table(PROJECTS).get(rowKey(projectId)) !== undefined;
  }

  async list(pageSize: number, pageToken: string | undefined): Promise<{ items: ProjectRecord[]; nextPageToken: string }> {
    const req = { key: (r: ProjectRecord) => r.projectId, scope: 'projects', pageSize, pageToken };
    return memoryPage(this.tokens, this.tables.table(PROJECTS).rows(), req, thaw);
  }

  async contents(projectId: string): Promise<ProjectContents> {
    const count = (name: TableName<{ readonly projectId: string }>): number =>
      this.tables
        .table(name)
        .rows()
        .filter((r) => r.projectId === projectId).length;
    return {
      notes: count(NOTES),
      occurrences: count(OCCURRENCES),
      keys: count(KEYS),
      witnesses: count(WITNESSES),
      policies: count(POLICIES),
      signingRules: count(SIGNING_RULES),
      importRules: count(IMPORT_RULES),
      foreignReferences: this.foreignReferences(projectId),
    };
  }

  async deleteWithContents(projectId: string): Promise<boolean> {
    // Other projects' occurrences on this project's notes hold them, as the foreign key does on Postgres.
    refuseIfReferenced(this.foreignReferences(projectId) > 0, `a note of project ${projectId}`);
    for (const name of CONTENTS) {
      const table = this.tables.table(name);
      for (const row of table.rows()) if (row.projectId === projectId) table.delete(table.keyOf(row));
    }
    return this.tables.table(PROJECTS).delete(rowKey(projectId));
  }

  private foreignReferences(projectId: string): number {
    return this.tables
      .table(OCCURRENCES)
      .rows()
      .filter((o) => o.noteProjectId === projectId && o.projectId !== projectId).length;
  }
}
