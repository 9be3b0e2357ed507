import type { Page } from '../../domain/message-types';
import type { ResourceName, ResourceRecord } from '../../domain/resources/resource-record';
import type { ResourceStore } from '../../domain/stores/resource-store';
import type { PageTokens } from '../page-token';
import { requireParent } from './memory-storage-error';
import { rowKey, tableName, type TableName, type Tables } from './memory-tables';
import { checkText, jsonb, thaw, timestamp } from './stored-values';

/** A kind's memory table: its rows keyed by (projectId, id), as the Postgres table's primary key. */
export function resourceTable<Spec>(name: string): TableName<ResourceRecord<Spec>> {
  return tableName<ResourceRecord<Spec>>(name, (r) => [r.projectId, r.id]);
}

/** The projects table, as far as a resource's foreign key to it goes. */
const PROJECTS = tableName<{ readonly projectId: string }>('projects', (r) => [r.projectId]);

/** A row a resource references (a foreign key): its table, its key (rowKey) and what to call it in an error. */
export interface MemoryReference {
  readonly table: TableName<unknown>;
  readonly key: string;
  readonly what: string;
}

/** How a kind lives in memory: its table, its page-token scope (as its Postgres table's) and what its rows reference. */
export interface MemoryResourceTable<Spec> {
  readonly table: TableName<ResourceRecord<Spec>>;
  readonly scope: string;
  /** The rows a record references besides its project (the Postgres table's other foreign keys). */
  references?(record: ResourceRecord<Spec>): readonly MemoryReference[];
}

/**
 * The resource kit's store in memory, one table per kind, with what Postgres would refuse refused alike: a
 * missing project or referenced row (foreign keys), NUL in text, a time that is not one. Kinds with their own
 * queries extend it.
 */
export class MemoryResourceStore<Spec> implements ResourceStore<Spec> {
  constructor(
    protected readonly tables: Tables,
    private readonly tokens: PageTokens,
    protected readonly mapping: MemoryResourceTable<Spec>,
  ) {}

  async insert(r: ResourceRecord<Spec>): Promise<boolean> {
    const rows = this.tables.table(this.mapping.table);
    if (rows.get(rowKey(r.projectId, r.id))) return false;
    rows.put(this.stored(r));
    return true;
  }

  async get(name: ResourceName): Promise<ResourceRecord<Spec> | undefined> {
    const row = this.tables.table(this.mapping.table).get(rowKey(name.projectId, name.id));
    return row ? thaw(row) : undefined;
  }

  async getMany(names: readonly ResourceName[]): Promise<ResourceRecord<Spec>[]> {
    const rows = this.tables.table(this.mapping.table);
    const keys = new Set(names.map((n) => rowKey(n.projectId, n.id)));
    return [...keys].flatMap((key) => {
      const row = rows.get(key);
      return row ? [thaw(row)] : [];
    });
  }

  async list(projectId: string, pageSize: number, pageToken: string | undefined): Promise<Page<ResourceRecord<Spec>>> {
    // The scope keysetPage binds Postgres tokens to: the list's scope and an empty filter.
    const scope = `${this.mapping.scope}|${projectId}|`;
    const after = this.tokens.decode(scope, pageToken);
    const page = this.select((r) => r.projectId === projectId && (after === undefined || r.id > after)).slice(0, pageSize + 1);
    const more = page.length > pageSize;
    const items = more ? page.slice(0, pageSize) : page;
    return { items, nextPageToken: more ? this.tokens.encode(scope, items[items.length - 1]!.id) : '' };
  }

  async update(r: ResourceRecord<Spec>): Promise<void> {
    const rows = this.tables.table(this.mapping.table);
    if (rows.get(rowKey(r.projectId, r.id))) rows.put(this.stored(r));
  }

  async delete(name: ResourceName): Promise<boolean> {
    return this.tables.table(this.mapping.table).delete(rowKey(name.projectId, name.id));
  }

  /** The rows a kind's own query keeps, as records in id order (ids are ASCII: code unit order is Postgres' "C" order). */
  protected select(keep: (row: ResourceRecord<Spec>) => boolean): ResourceRecord<Spec>[] {
    return this.tables
      .table(this.mapping.table)
      .rows()
      .filter(keep)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((row) => thaw(row));
  }

  /** The row as Postgres would store it, once its foreign keys hold. */
  private stored(r: ResourceRecord<Spec>): ResourceRecord<Spec> {
    requireParent(this.tables.table(PROJECTS).get(rowKey(r.projectId)) !== undefined, `project ${r.projectId}`);
    for (const ref of this.mapping.references?.(r) ?? []) requireParent(this.tables.table(ref.table).get(ref.key) !== undefined, ref.what);
    checkText(r);
    return Object.freeze({
      projectId: r.projectId,
      id: r.id,
      spec: jsonb(r.spec),
      revision: r.revision,
      createTime: timestamp(r.createTime),
      updateTime: timestamp(r.updateTime),
    });
  }
}
