import type { Knex } from 'knex';
import type { AuditStore } from '../audit/audit-store';
import type { GrafeasStore } from '../grafeas/grafeas-store';
import type { KeyStore } from '../kms/key-store';
import type { ProjectStore } from '../projects/project-store';
import type { WitnessStore } from '../witnesses/witness-store';
import { PageTokens } from './page-token';
import { PostgresAuditStore } from './postgres-audit-store';
import { PostgresGrafeasStore } from './postgres-grafeas-store';
import { PostgresKeyStore } from './postgres-key-store';
import { PostgresWitnessStore } from './postgres-witness-store';
import { PostgresProjectStore } from './postgres-project-store';

/** Every store, bound to one connection or transaction. */
export interface Stores {
  readonly projects: ProjectStore;
  readonly grafeas: GrafeasStore;
  readonly audit: AuditStore;
  readonly keys: KeyStore;
  readonly witnesses: WitnessStore;
}

/** Runs work on the stores, alone or inside one transaction (all-or-nothing). */
export interface UnitOfWork {
  readonly stores: Stores;
  transaction<T>(work: (stores: Stores) => Promise<T>): Promise<T>;
}

/** The Postgres unit of work: builds stores over the pool or over a transaction. */
export class PostgresUnitOfWork implements UnitOfWork {
  readonly stores: Stores;

  constructor(
    private readonly db: Knex,
    private readonly tokens: PageTokens,
  ) {
    this.stores = this.bind(db);
  }

  transaction<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    return this.db.transaction((trx) => work(this.bind(trx)));
  }

  private bind(db: Knex): Stores {
    return {
      projects: new PostgresProjectStore(db, this.tokens),
      grafeas: new PostgresGrafeasStore(db, this.tokens),
      audit: new PostgresAuditStore(db, this.tokens),
      keys: new PostgresKeyStore(db, this.tokens),
      witnesses: new PostgresWitnessStore(db, this.tokens),
    };
  }
}
