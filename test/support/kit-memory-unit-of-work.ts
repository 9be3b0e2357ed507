import crypto from 'node:crypto';
import type { ApiError } from '../../src/domain/api-error';
import type { NewAuditEvent } from '../../src/domain/audit-event';
import type { AuditStore } from '../../src/domain/stores/audit-store';
import type { GrafeasStore, NoteRecord } from '../../src/domain/stores/grafeas-store';
import type { KeyRecord, KeyStore } from '../../src/domain/stores/key-store';
import type { ProjectRecord, ProjectStore } from '../../src/domain/stores/project-store';
import type { Stores, UnitOfWork } from '../../src/domain/stores/unit-of-work';
import { memoryResourceStores } from '../../src/store/memory/memory-resource-stores';
import { classifyMemoryError } from '../../src/store/memory/memory-storage-error';
import { CommittedTables, rowKey, tableName, TransactionTables, type Tables } from '../../src/store/memory/memory-tables';
import { PageTokens } from '../../src/store/page-token';

// A memory unit of work for the resource kit's tests, standing in for the memory backend's MemoryUnitOfWork
// (src/store/memory/memory-unit-of-work.ts, on its own branch): the kit's memory stores, and of the projects,
// Grafeas, keys and audit stores just what the kinds' checks and hooks call. Transactions run one at a time
// and commit all or nothing. Anything else a test calls fails loudly, naming the method.

/** An ATTESTATION occurrence as far as witness deletes count them. */
export interface OccurrenceRow {
  readonly occurrenceId: string;
  readonly noteProjectId: string;
  readonly noteId: string;
}

export const PROJECT_ROWS = tableName<ProjectRecord>('projects', (r) => [r.projectId]);
export const NOTE_ROWS = tableName<NoteRecord>('notes', (r) => [r.projectId, r.noteId]);
export const KEY_ROWS = tableName<KeyRecord>('keys', (r) => [r.projectId, r.keyId]);
export const OCCURRENCE_ROWS = tableName<OccurrenceRow>('occurrences', (r) => [r.occurrenceId]);
export const AUDIT_ROWS = tableName<NewAuditEvent & { readonly n: number }>('audit_pending', (r) => [r.n]);

/** The resource kit's memory unit of work (see above). */
export class KitMemoryUnitOfWork implements UnitOfWork {
  readonly committed = new CommittedTables();
  readonly stores: Stores;
  private readonly tokens = new PageTokens(crypto.randomBytes(32));
  private queue: Promise<unknown> = Promise.resolve();
  private audits = 0;

  constructor() {
    this.stores = this.bind(this.committed);
  }

  classifyError(err: unknown): ApiError | undefined {
    return classifyMemoryError(err);
  }

  transaction<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const tables = new TransactionTables(this.committed);
      try {
        const result = await work(this.bind(tables));
        tables.commit();
        return result;
      } catch (err) {
        tables.discard();
        throw err;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** The committed audit events, oldest first. */
  auditEvents(): NewAuditEvent[] {
    return this.committed
      .table(AUDIT_ROWS)
      .rows()
      .sort((a, b) => a.n - b.n);
  }

  private bind(tables: Tables): Stores {
    const touched = new Set<string>();
    return {
      touched,
      audited: new Set<string>(),
      touch: (projectIds) => {
        for (const p of projectIds) touched.add(p);
      },
      notifyChanged: () => ready(undefined),
      ...memoryResourceStores(tables, this.tokens),
      projects: only<ProjectStore>('projects', {
        insert: (r) => {
          const rows = tables.table(PROJECT_ROWS);
          if (rows.get(rowKey(r.projectId))) return ready(false);
          rows.put(r);
          return ready(true);
        },
        lockShared: (projectId) => ready(tables.table(PROJECT_ROWS).get(rowKey(projectId)) !== undefined),
      }),
      grafeas: only<GrafeasStore>('grafeas', {
        insertNotes: (records) => {
          const rows = tables.table(NOTE_ROWS);
          const taken = records.filter((r) => rows.get(rows.keyOf(r))).map((r) => r.noteId);
          if (taken.length === 0) for (const r of records) rows.put(r);
          return ready(taken);
        },
        getNote: (n) => ready(tables.table(NOTE_ROWS).get(rowKey(n.projectId, n.noteId))?.body),
        deleteNote: (n) => ready(tables.table(NOTE_ROWS).delete(rowKey(n.projectId, n.noteId))),
        countNoteOccurrences: (n) => ready(occurrencesOf(tables, n.projectId, n.noteId).length),
        deleteNoteOccurrences: (n) => {
          const rows = occurrencesOf(tables, n.projectId, n.noteId);
          for (const o of rows) tables.table(OCCURRENCE_ROWS).delete(rowKey(o.occurrenceId));
          return ready(rows.length);
        },
      }),
      keys: only<KeyStore>('keys', { get: (projectId, keyId) => ready(tables.table(KEY_ROWS).get(rowKey(projectId, keyId))) }),
      audit: only<AuditStore>('audit', {
        appendMany: (events) => {
          for (const e of events) tables.table(AUDIT_ROWS).put({ ...e, n: ++this.audits });
          return ready(events.map(() => crypto.randomUUID()));
        },
      }),
      decisions: only('decisions', {}),
      hooks: only('hooks', {}),
    };
  }
}

function occurrencesOf(tables: Tables, projectId: string, noteId: string): OccurrenceRow[] {
  return tables
    .table(OCCURRENCE_ROWS)
    .rows()
    .filter((o) => o.noteProjectId === projectId && o.noteId === noteId);
}

/** An answer that is ready at once. */
const ready = <T>(value: T): Promise<T> => Promise.resolve(value);

/** A store with only the given methods; any other call throws, naming it. */
function only<T extends object>(store: string, methods: Partial<T>): T {
  return new Proxy(methods, {
    get(target, prop) {
      if (prop in target) return target[prop as keyof typeof target];
      if (typeof prop === 'symbol' || prop === 'then') return undefined;
      return () => {
        throw new Error(`stores.${store}.${prop} is not part of the resource kit's memory stand-in`);
      };
    },
  }) as T;
}
