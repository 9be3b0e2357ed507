import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import type { ApiError } from '../../domain/api-error';
import type { Committed, Stores, UnitOfWork } from '../../domain/stores/unit-of-work';
import { PageTokens } from '../page-token';
import { MemoryAuditStore } from './memory-audit-store';
import { MemoryDecisionStore } from './memory-decision-store';
import { MemoryGrafeasStore } from './memory-grafeas-store';
import { MemoryHookStore } from './memory-hook-store';
import { MemoryKeyStore } from './memory-key-store';
import { memoryResourceStores } from './memory-resource-stores';
import { MemoryProjectStore } from './memory-project-store';
import { MemoryTokenStore } from './memory-token-store';
import { classifyMemoryError } from './memory-storage-error';
import { CommittedTables, TransactionTables, type Tables } from './memory-tables';

/**
 * A database in memory: committed tables, the page-token key (shared by every unit of work over it, as the
 * Postgres settings row is shared by replicas) and the queue that runs its transactions one at a time.
 */
export class MemoryDatabase {
  readonly committed = new CommittedTables();
  readonly tokens: PageTokens;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(pageTokenKey: Buffer = crypto.randomBytes(32)) {
    this.tokens = new PageTokens(pageTokenKey);
  }

  /** Runs `work` after every transaction queued before it has ended. */
  serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Options of the memory unit of work. */
export interface MemoryUnitOfWorkOptions {
  /** Receives what `notifyChanged` announces, once its transaction commits (Postgres NOTIFY delivers then). */
  readonly onNotify?: (projectIds: readonly string[]) => void;
}

const inTransaction = new AsyncLocalStorage<true>();

/**
 * The memory unit of work: every store over a MemoryDatabase, outside a transaction (each call commits at once)
 * or inside one. Transactions run one at a time, so isolation holds and every lock a port promises is held;
 * each works on its own writes over the committed tables and commits them all at once, or none when `work`
 * throws. What a transaction touched and audited reaches onCommit once it commits, as in PostgresUnitOfWork.
 */
export class MemoryUnitOfWork implements UnitOfWork {
  readonly stores: Stores;

  constructor(
    readonly database: MemoryDatabase = new MemoryDatabase(),
    /** Called after a commit with the projects the transaction changed and those it wrote audit events for. */
    private readonly onCommit: (committed: Committed) => void = () => undefined,
    private readonly options: MemoryUnitOfWorkOptions = {},
  ) {
    this.stores = this.bind(database.committed, (projectIds) => this.options.onNotify?.(projectIds));
  }

  classifyError(err: unknown): ApiError | undefined {
    return classifyMemoryError(err);
  }

  async transaction<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    if (inTransaction.getStore()) {
      // It would wait for the transaction it runs in: fail loudly rather than hang.
      throw new Error('MemoryUnitOfWork.transaction() was called inside a transaction; use the stores passed to the outer one');
    }
    const notices: string[][] = [];
    const { stores, result } = await this.database.serialize(async () => {
      const tables = new TransactionTables(this.database.committed);
      const stores = this.bind(tables, (projectIds) => notices.push([...projectIds]));
      try {
        const result = await inTransaction.run(true, () => work(stores));
        tables.commit();
        return { stores, result };
      } catch (err) {
        tables.discard();
        throw err;
      }
    });
    for (const projectIds of notices) this.options.onNotify?.(projectIds);
    if (stores.touched.size > 0 || stores.audited.size > 0) this.onCommit({ touched: stores.touched, audited: stores.audited });
    return result;
  }

  /** A transaction: the memory database writes nothing more cheaply on its own. */
  singleWrite<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    return this.transaction(work);
  }

  private bind(tables: Tables, notify: (projectIds: readonly string[]) => void): Stores {
    const touched = new Set<string>();
    const audited = new Set<string>();
    const { tokens } = this.database;
    const audit = new MemoryAuditStore(tables, tokens, audited, () => this.database.committed.snapshot());
    return {
      touched,
      audited,
      touch(projectIds: Iterable<string>): void {
        for (const p of projectIds) touched.add(p);
      },
      async notifyChanged(projectIds: readonly string[]): Promise<void> {
        if (projectIds.length > 0) notify(projectIds);
      },
      projects: new MemoryProjectStore(tables, tokens),
      grafeas: new MemoryGrafeasStore(tables, tokens, audit),
      audit,
      keys: new MemoryKeyStore(tables, tokens),
      decisions: new MemoryDecisionStore(tables, tokens),
      hooks: new MemoryHookStore(tables, tokens),
      tokens: new MemoryTokenStore(tables, tokens),
      ...memoryResourceStores(tables, tokens),
    };
  }
}
