import type { Knex } from 'knex';
import type { Page } from '../domain/message-types';
import type { ResourceName, ResourceRecord } from '../domain/resources/resource-record';
import type { ResourceStore } from '../domain/stores/resource-store';
import { keysetPage, plainPage } from './keyset-page';
import type { PageTokens } from './page-token';

/** A row of a resource table: the columns every one has, and the kind's own. */
export interface ResourceRow {
  readonly project_id: string;
  readonly revision: string | number;
  readonly create_time: Date | string;
  readonly update_time: Date | string;
  readonly [column: string]: unknown;
}

/** How a kind's table holds its resources: the table, its id column, and the mapping of its spec to its own columns. */
export interface ResourceTable<Spec> {
  readonly table: string;
  readonly idColumn: string;
  /** Page tokens are bound to `<scope>|<project>`. */
  readonly scope: string;
  /** The kind's own columns (besides project_id, the id, revision and times) for a spec. */
  columns(spec: Spec): Record<string, unknown>;
  /** The spec a row holds. */
  spec(row: ResourceRow): Spec;
}

/**
 * The resource kit's Postgres store, one table per kind: (project_id, <id>) is the primary key, revision and
 * times are columns, the rest is the kind's mapping. Kinds with their own queries or join tables extend it.
 */
export class PostgresResourceStore<Spec> implements ResourceStore<Spec> {
  constructor(
    protected readonly db: Knex,
    private readonly tokens: PageTokens,
    protected readonly mapping: ResourceTable<Spec>,
  ) {}

  insert(r: ResourceRecord<Spec>): Promise<boolean> {
    return this.insertRow(this.db, r);
  }

  async get(name: ResourceName, forUpdate = false): Promise<ResourceRecord<Spec> | undefined> {
    const q = this.db(this.mapping.table).where(this.key(name)).first();
    if (forUpdate) q.forUpdate();
    const found: ResourceRow | undefined = await q;
    return found ? this.record(found) : undefined;
  }

  async getMany(names: readonly ResourceName[]): Promise<ResourceRecord<Spec>[]> {
    if (names.length === 0) return [];
    const rows: ResourceRow[] = await this.db(this.mapping.table).whereIn(
      ['project_id', this.mapping.idColumn],
      names.map((n) => [n.projectId, n.id]),
    );
    return rows.map((row) => this.record(row));
  }

  async list(projectId: string, pageSize: number, pageToken: string | undefined): Promise<Page<ResourceRecord<Spec>>> {
    const { table, idColumn, scope } = this.mapping;
    const base = this.db(table).where({ project_id: projectId });
    return keysetPage(this.tokens, base, plainPage(idColumn, `${scope}|${projectId}`, pageSize, pageToken), (row: ResourceRow) =>
      this.record(row),
    );
  }

  async update(r: ResourceRecord<Spec>): Promise<void> {
    await this.updateRow(this.db, r);
  }

  async delete(name: ResourceName): Promise<boolean> {
    return (await this.db(this.mapping.table).where(this.key(name)).delete()) > 0;
  }

  /** The resources a kind's own query selects, in id order. */
  protected async select(where: (q: Knex.QueryBuilder) => Knex.QueryBuilder): Promise<ResourceRecord<Spec>[]> {
    const rows: ResourceRow[] = await where(this.db(this.mapping.table)).orderBy(this.mapping.idColumn);
    return rows.map((row) => this.record(row));
  }

  /** Inserts the row over `db` (the store's connection or a transaction of it); false when the name is taken. */
  protected async insertRow(db: Knex, r: ResourceRecord<Spec>): Promise<boolean> {
    const { table, idColumn } = this.mapping;
    const rows = await db(table).insert(this.row(r)).onConflict(['project_id', idColumn]).ignore().returning(idColumn);
    return rows.length === 1;
  }

  /** Replaces the row over `db`; false when there was none. */
  protected async updateRow(db: Knex, r: ResourceRecord<Spec>): Promise<boolean> {
    return (await db(this.mapping.table).where(this.key(r)).update(this.row(r))) > 0;
  }

  protected key(name: ResourceName): Record<string, string> {
    return { project_id: name.projectId, [this.mapping.idColumn]: name.id };
  }

  private row(r: ResourceRecord<Spec>): Record<string, unknown> {
    return { ...this.key(r), ...this.mapping.columns(r.spec), revision: r.revision, create_time: r.createTime, update_time: r.updateTime };
  }

  private record(row: ResourceRow): ResourceRecord<Spec> {
    return resourceRecord(this.mapping, row);
  }
}

/** The resource a row of the kind's table holds (also a row read as JSON, e.g. through json_agg). */
export function resourceRecord<Spec>(mapping: ResourceTable<Spec>, row: ResourceRow): ResourceRecord<Spec> {
  return {
    projectId: row.project_id,
    id: String(row[mapping.idColumn]),
    spec: mapping.spec(row),
    revision: Number(row.revision),
    createTime: new Date(row.create_time).toISOString(),
    updateTime: new Date(row.update_time).toISOString(),
  };
}
