import type { Knex } from 'knex';
import type { Committed, Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import type { ApiError } from '../domain/api-error';
import type { PageTokens } from './page-token';
import { PostgresAuditStore } from './postgres-audit-store';
import { PostgresGrafeasStore } from './postgres-grafeas-store';
import { PostgresDecisionStore } from './postgres-decision-store';
import { PostgresKeyStore } from './postgres-key-store';
import { PostgresPolicyStore } from './postgres-policy-store';
import { PostgresClusterStore } from './postgres-cluster-store';
import { PostgresIdentityProviderStore } from './postgres-identity-provider-store';
import { PostgresWitnessStore } from './postgres-witness-store';
import { fromDatabaseError } from './sql-errors';
import { PostgresProjectStore } from './postgres-project-store';
import { PostgresHookStore } from './postgres-hook-store';
import { PostgresSigningRuleStore } from './postgres-signing-rule-store';
import { PostgresImportRuleStore } from './postgres-import-rule-store';
import { PostgresTokenStore } from './postgres-token-store';

/** The Postgres NOTIFY channel on which committed changes are announced (payload: project ids, comma-separated). */
export const CHANGE_CHANNEL = 'attestd_changes';

/** The Postgres unit of work: builds stores over the pool or over a transaction. */
export class PostgresUnitOfWork implements UnitOfWork {
  readonly stores: Stores;

  constructor(
    private readonly db: Knex,
    private readonly tokens: PageTokens,
    /** Called after a commit with the projects the transaction changed and those it wrote audit events for. */
    private readonly onCommit: (committed: Committed) => void = () => undefined,
  ) {
    this.stores = this.bind(db);
  }

  classifyError(err: unknown): ApiError | undefined {
    return fromDatabaseError(err);
  }

  /** Runs `work` in one transaction; what it touched and audited reaches onCommit once it commits. */
  async transaction<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    let stores: Stores | undefined;
    const result = await this.db.transaction(async (trx) => {
      stores = this.bind(trx);
      return work(stores);
    });
    if (stores && (stores.touched.size > 0 || stores.audited.size > 0)) this.onCommit({ touched: stores.touched, audited: stores.audited });
    return result;
  }

  /** Runs `work` over the pool: its one write commits by itself, so no BEGIN/COMMIT round trips. */
  async singleWrite<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    const stores = this.bind(this.db);
    const result = await work(stores);
    if (stores.touched.size > 0 || stores.audited.size > 0) this.onCommit({ touched: stores.touched, audited: stores.audited });
    return result;
  }

  private bind(db: Knex): Stores {
    const touched = new Set<string>();
    const audited = new Set<string>();
    return {
      touched,
      audited,
      touch(projectIds: Iterable<string>): void {
        for (const p of projectIds) touched.add(p);
      },
      async notifyChanged(projectIds: readonly string[]): Promise<void> {
        if (projectIds.length > 0) await db.raw('SELECT pg_notify(?, ?)', [CHANGE_CHANNEL, projectIds.join(',')]);
      },
      projects: new PostgresProjectStore(db, this.tokens),
      grafeas: new PostgresGrafeasStore(db, this.tokens, audited),
      audit: new PostgresAuditStore(db, this.tokens, audited),
      keys: new PostgresKeyStore(db, this.tokens),
      witnesses: new PostgresWitnessStore(db, this.tokens),
      policies: new PostgresPolicyStore(db, this.tokens),
      clusters: new PostgresClusterStore(db, this.tokens),
      identityProviders: new PostgresIdentityProviderStore(db, this.tokens),
      decisions: new PostgresDecisionStore(db, this.tokens),
      signingRules: new PostgresSigningRuleStore(db, this.tokens),
      importRules: new PostgresImportRuleStore(db, this.tokens),
      hooks: new PostgresHookStore(db, this.tokens),
      tokens: new PostgresTokenStore(db, this.tokens),
    };
  }
}
