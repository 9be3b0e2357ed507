import type { Knex } from 'knex';
import type { AuditStore } from '../audit/audit-store';
import type { GrafeasStore } from '../grafeas/grafeas-store';
import type { KeyStore } from '../kms/key-store';
import type { PolicyStore } from '../policies/policy-store';
import type { ProjectStore } from '../projects/project-store';
import type { HookStore } from '../registry/hook-store';
import type { SigningRuleStore } from '../registry/signing-rule-store';
import type { DecisionStore } from '../verification/decision-store';
import type { WitnessStore } from '../witnesses/witness-store';
import { PageTokens } from './page-token';
import { PostgresAuditStore } from './postgres-audit-store';
import { PostgresGrafeasStore } from './postgres-grafeas-store';
import { PostgresDecisionStore } from './postgres-decision-store';
import { PostgresKeyStore } from './postgres-key-store';
import { PostgresPolicyStore } from './postgres-policy-store';
import { PostgresWitnessStore } from './postgres-witness-store';
import { PostgresProjectStore } from './postgres-project-store';
import { PostgresHookStore } from './postgres-hook-store';
import { PostgresSigningRuleStore } from './postgres-signing-rule-store';

/** The Postgres NOTIFY channel on which committed changes are announced (payload: project ids, comma-separated). */
export const CHANGE_CHANNEL = 'attestd_changes';

/** Every store, bound to one connection or transaction. */
export interface Stores {
  readonly projects: ProjectStore;
  readonly grafeas: GrafeasStore;
  readonly audit: AuditStore;
  readonly keys: KeyStore;
  readonly witnesses: WitnessStore;
  readonly policies: PolicyStore;
  readonly decisions: DecisionStore;
  readonly signingRules: SigningRuleStore;
  readonly hooks: HookStore;
  /** Projects changed by this transaction; local caches hear of them once it commits. */
  readonly touched: Set<string>;
  /**
   * Marks projects as changed by this transaction and queues their NOTIFY for other replicas (Postgres
   * delivers it on commit). Called before the audit append, so that the chain head — locked from the
   * append until commit — is not held across this round trip.
   */
  announce(projectIds: Iterable<string>): Promise<void>;
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
    /** Called after a commit with the projects the transaction changed. */
    private readonly onCommit: (projectIds: ReadonlySet<string>) => void = () => undefined,
  ) {
    this.stores = this.bind(db);
  }

  /** Runs `work` in one transaction; projects it announced reach onCommit once it commits. */
  async transaction<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    let touched: ReadonlySet<string> = new Set();
    const result = await this.db.transaction(async (trx) => {
      const stores = this.bind(trx);
      const value = await work(stores);
      touched = stores.touched;
      return value;
    });
    if (touched.size > 0) this.onCommit(touched);
    return result;
  }

  private bind(db: Knex): Stores {
    const touched = new Set<string>();
    return {
      touched,
      async announce(projectIds: Iterable<string>): Promise<void> {
        const fresh = [...new Set(projectIds)].filter((p) => !touched.has(p));
        if (fresh.length === 0) return;
        for (const p of fresh) touched.add(p);
        await db.raw('SELECT pg_notify(?, ?)', [CHANGE_CHANNEL, fresh.join(',')]);
      },
      projects: new PostgresProjectStore(db, this.tokens),
      grafeas: new PostgresGrafeasStore(db, this.tokens),
      audit: new PostgresAuditStore(db, this.tokens),
      keys: new PostgresKeyStore(db, this.tokens),
      witnesses: new PostgresWitnessStore(db, this.tokens),
      policies: new PostgresPolicyStore(db, this.tokens),
      decisions: new PostgresDecisionStore(db, this.tokens),
      signingRules: new PostgresSigningRuleStore(db, this.tokens),
      hooks: new PostgresHookStore(db, this.tokens),
    };
  }
}
