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
  /** Projects this transaction wrote audit events for; the sequencer chains them once it commits. */
  readonly audited: Set<string>;
  /**
   * Marks projects as changed by this transaction (no round trip). Other replicas hear of the change when
   * its audit event is chained (`notifyChanged`, from the sequencer), so that no request transaction issues
   * a NOTIFY: Postgres serializes the commits of all transactions that do.
   */
  touch(projectIds: Iterable<string>): void;
  /** Queues a NOTIFY naming the projects for other replicas (Postgres delivers it on commit). */
  notifyChanged(projectIds: readonly string[]): Promise<void>;
}

/** What a committed transaction touched (changed projects) and audited (projects with new audit events). */
export interface Committed {
  readonly touched: ReadonlySet<string>;
  readonly audited: ReadonlySet<string>;
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
    /** Called after a commit with the projects the transaction changed and those it wrote audit events for. */
    private readonly onCommit: (committed: Committed) => void = () => undefined,
  ) {
    this.stores = this.bind(db);
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
      grafeas: new PostgresGrafeasStore(db, this.tokens),
      audit: new PostgresAuditStore(db, this.tokens, audited),
      keys: new PostgresKeyStore(db, this.tokens),
      witnesses: new PostgresWitnessStore(db, this.tokens),
      policies: new PostgresPolicyStore(db, this.tokens),
      decisions: new PostgresDecisionStore(db, this.tokens),
      signingRules: new PostgresSigningRuleStore(db, this.tokens),
      hooks: new PostgresHookStore(db, this.tokens),
    };
  }
}
