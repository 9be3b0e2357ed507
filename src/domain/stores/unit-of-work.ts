import type { ApiError } from '../api-error';
import type { AuditStore } from './audit-store';
import type { ClusterStore } from './cluster-store';
import type { DecisionStore } from './decision-store';
import type { GrafeasStore } from './grafeas-store';
import type { HookStore } from './hook-store';
import type { IdentityProviderStore } from './identity-provider-store';
import type { ImportRuleStore } from './import-rule-store';
import type { KeyStore } from './key-store';
import type { PolicyStore } from './policy-store';
import type { ProjectStore } from './project-store';
import type { SigningRuleStore } from './signing-rule-store';
import type { TokenStore } from './token-store';
import type { WitnessStore } from './witness-store';

/** Every store, bound to one connection or transaction. */
export interface Stores {
  readonly projects: ProjectStore;
  readonly grafeas: GrafeasStore;
  readonly audit: AuditStore;
  readonly keys: KeyStore;
  readonly witnesses: WitnessStore;
  readonly policies: PolicyStore;
  readonly clusters: ClusterStore;
  readonly decisions: DecisionStore;
  readonly signingRules: SigningRuleStore;
  readonly importRules: ImportRuleStore;
  readonly hooks: HookStore;
  /** The projects' trusted OIDC issuers. */
  readonly identityProviders: IdentityProviderStore;
  /** Tokens seen and revoked (global, not per project). */
  readonly tokens: TokenStore;
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
  /**
   * Runs `work`, which makes at most one write that is atomic by itself (GrafeasStore.createOccurrences), without
   * opening a transaction (in Postgres: no BEGIN and COMMIT round trips). What it touched and audited reaches
   * the commit listeners as a transaction's does, unless `work` throws.
   */
  singleWrite<T>(work: (stores: Stores) => Promise<T>): Promise<T>;
  /**
   * What a storage failure means for a client (UNAVAILABLE when the database is away, INVALID_ARGUMENT for
   * a value it refused, …), or undefined when it is a bug. The one classification of storage errors.
   */
  classifyError(err: unknown): ApiError | undefined;
}
