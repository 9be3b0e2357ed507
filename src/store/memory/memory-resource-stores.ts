import type { AdapterReport, ClusterSpec } from '../../domain/resources/cluster-spec';
import { policyWitnesses, type PolicyRecord, type PolicySpec } from '../../domain/resources/policy-spec';
import type { ResourceName } from '../../domain/resources/resource-record';
import type { SigningRuleRecord, SigningRuleSpec } from '../../domain/resources/signing-rule-spec';
import type { ImportRuleRecord, ImportRuleSpec } from '../../domain/resources/import-rule-spec';
import type { IdentityProviderRecord, IdentityProviderSpec } from '../../domain/resources/identity-provider-spec';
import type { IdentityProviderStore } from '../../domain/stores/identity-provider-store';
import type { ImportRuleStore } from '../../domain/stores/import-rule-store';
import type { WitnessSpec } from '../../domain/resources/witness-spec';
import type { ClusterStore } from '../../domain/stores/cluster-store';
import type { PolicyStore } from '../../domain/stores/policy-store';
import type { SigningRuleStore } from '../../domain/stores/signing-rule-store';
import type { Stores } from '../../domain/stores/unit-of-work';
import type { WitnessStore } from '../../domain/stores/witness-store';
import type { PageTokens } from '../page-token';
import { refuseIfReferenced, requireParent } from './memory-storage-error';
import { checkText, thaw, timestamp } from './stored-values';
import { MemoryResourceStore, resourceTable, type MemoryReference } from './memory-resource-store';
import { rowKey, tableName, type Tables } from './memory-tables';

/** Table witnesses. */
export const WITNESS_ROWS = resourceTable<WitnessSpec>('witnesses');
/** Table policies (the Postgres join table policy_witnesses is the spec's witness list here). */
export const POLICY_ROWS = resourceTable<PolicySpec>('policies');
/** Table clusters. */
export const CLUSTER_ROWS = resourceTable<ClusterSpec>('clusters');
/** Table cluster_adapters (its rows go with their cluster, as ON DELETE CASCADE does). */
export const CLUSTER_ADAPTER_ROWS = tableName<AdapterReport>('cluster_adapters', (r) => [r.projectId, r.clusterId, r.adapter]);
/** Table signing_rules. */
export const SIGNING_RULE_ROWS = resourceTable<SigningRuleSpec>('signing_rules');
/** Table import_rules (the Postgres join table import_rule_witnesses is the spec's witness list here). */
export const IMPORT_RULE_ROWS = resourceTable<ImportRuleSpec>('import_rules');
/** Table identity_providers. */
export const IDENTITY_PROVIDER_ROWS = resourceTable<IdentityProviderSpec>('identity_providers');
/** The notes table, as far as a witness's foreign key to its note goes. */
const NOTES = tableName<{ readonly projectId: string; readonly noteId: string }>('notes', (r) => [r.projectId, r.noteId]);

/** A witness a resource references by name ("projects/p/witnesses/w"). */
function witnessReference(name: string): MemoryReference {
  const [, projectId = '', , witnessId = ''] = name.split('/');
  return { table: WITNESS_ROWS, key: rowKey(projectId, witnessId), what: `witness ${name}` };
}

/** Witnesses in memory: each needs its note, and one in use by a policy or signing rule cannot be deleted. */
class MemoryWitnessStore extends MemoryResourceStore<WitnessSpec> implements WitnessStore {
  constructor(tables: Tables, tokens: PageTokens) {
    super(tables, tokens, {
      table: WITNESS_ROWS,
      scope: 'witnesses',
      references: (r) => [{ table: NOTES, key: rowKey(r.projectId, r.id), what: `note projects/${r.projectId}/notes/${r.id}` }],
    });
  }

  async users(w: ResourceName): Promise<string[]> {
    const name = `projects/${w.projectId}/witnesses/${w.id}`;
    const policies = this.tables
      .table(POLICY_ROWS)
      .rows()
      .filter((p) => policyWitnesses(p.spec).includes(name))
      .map((p) => `projects/${p.projectId}/policies/${p.id}`);
    const rules = this.tables
      .table(SIGNING_RULE_ROWS)
      .rows()
      .filter((r) => r.spec.witness === name)
      .map((r) => `projects/${r.projectId}/signingRules/${r.id}`);
    const imports = this.tables
      .table(IMPORT_RULE_ROWS)
      .rows()
      .filter((r) => r.spec.witnesses.includes(name))
      .map((r) => `projects/${r.projectId}/importRules/${r.id}`);
    return [...policies, ...rules, ...imports].sort();
  }

  override async delete(w: ResourceName): Promise<boolean> {
    refuseIfReferenced((await this.users(w)).length > 0, `witness projects/${w.projectId}/witnesses/${w.id}`);
    return super.delete(w);
  }
}

/** Security policies in memory: every witness a policy names must exist (the join table's foreign keys), and its cluster. */
class MemoryPolicyStore extends MemoryResourceStore<PolicySpec> implements PolicyStore {
  constructor(tables: Tables, tokens: PageTokens) {
    super(tables, tokens, {
      table: POLICY_ROWS,
      scope: 'policies',
      references: (r) => [
        {
          table: CLUSTER_ROWS,
          key: rowKey(r.projectId, r.spec.cluster),
          what: `cluster projects/${r.projectId}/clusters/${r.spec.cluster}`,
        },
        ...policyWitnesses(r.spec).map(witnessReference),
      ],
    });
  }

  async enabledFor(projectId: string, cluster: string, namespace: string): Promise<PolicyRecord[]> {
    return this.select(
      (p) => p.projectId === projectId && p.spec.enabled && p.spec.cluster === cluster && p.spec.namespaces.includes(namespace),
    );
  }
}

/** Signing rules in memory: a rule's witness must exist. */
class MemorySigningRuleStore extends MemoryResourceStore<SigningRuleSpec> implements SigningRuleStore {
  constructor(tables: Tables, tokens: PageTokens) {
    super(tables, tokens, { table: SIGNING_RULE_ROWS, scope: 'signingRules', references: (r) => [witnessReference(r.spec.witness)] });
  }

  async enabled(projectId: string): Promise<SigningRuleRecord[]> {
    return this.select((r) => r.projectId === projectId && r.spec.enabled);
  }
}

/** A report's cluster must exist (the Postgres foreign key). */
function requireCluster(tables: Tables, r: AdapterReport): void {
  const present = tables.table(CLUSTER_ROWS).get(rowKey(r.projectId, r.clusterId)) !== undefined;
  requireParent(present, `cluster projects/${r.projectId}/clusters/${r.clusterId}`);
}

/** Registered clusters in memory: one a policy names cannot be deleted. */
class MemoryClusterStore extends MemoryResourceStore<ClusterSpec> implements ClusterStore {
  constructor(tables: Tables, tokens: PageTokens) {
    super(tables, tokens, { table: CLUSTER_ROWS, scope: 'clusters' });
  }

  async users(c: ResourceName): Promise<string[]> {
    return this.tables
      .table(POLICY_ROWS)
      .rows()
      .filter((p) => p.projectId === c.projectId && p.spec.cluster === c.id)
      .map((p) => `projects/${p.projectId}/policies/${p.id}`)
      .sort();
  }

  async ids(projectId: string, limit: number): Promise<string[]> {
    return this.select((c) => c.projectId === projectId)
      .map((c) => c.id)
      .slice(0, limit);
  }

  async reportIn(r: AdapterReport): Promise<void> {
    requireCluster(this.tables, r);
    checkText(r);
    const rows = this.tables.table(CLUSTER_ADAPTER_ROWS);
    const before = rows.get(rowKey(r.projectId, r.clusterId, r.adapter));
    rows.put(
      Object.freeze({
        ...r,
        firstSeen: timestamp(before?.firstSeen ?? r.firstSeen),
        lastSeen: timestamp(r.lastSeen),
      }),
    );
  }

  async adapters(c: ResourceName, limit: number): Promise<AdapterReport[]> {
    return this.tables
      .table(CLUSTER_ADAPTER_ROWS)
      .rows()
      .filter((r) => r.projectId === c.projectId && r.clusterId === c.id)
      .sort((a, b) => (a.lastSeen === b.lastSeen ? (a.adapter < b.adapter ? -1 : 1) : a.lastSeen > b.lastSeen ? -1 : 1))
      .slice(0, limit)
      .map((r) => thaw(r));
  }

  override async delete(c: ResourceName): Promise<boolean> {
    refuseIfReferenced((await this.users(c)).length > 0, `cluster projects/${c.projectId}/clusters/${c.id}`);
    const reports = this.tables.table(CLUSTER_ADAPTER_ROWS);
    for (const r of reports.rows()) if (r.projectId === c.projectId && r.clusterId === c.id) reports.delete(reports.keyOf(r));
    return super.delete(c);
  }
}

/** Import rules in memory: every witness a rule names must exist (the join table's foreign keys). */
class MemoryImportRuleStore extends MemoryResourceStore<ImportRuleSpec> implements ImportRuleStore {
  constructor(tables: Tables, tokens: PageTokens) {
    super(tables, tokens, { table: IMPORT_RULE_ROWS, scope: 'importRules', references: (r) => r.spec.witnesses.map(witnessReference) });
  }

  async enabled(projectId: string): Promise<ImportRuleRecord[]> {
    return this.select((r) => r.projectId === projectId && r.spec.enabled);
  }
}

/** The projects' trusted OIDC issuers in memory. */
class MemoryIdentityProviderStore extends MemoryResourceStore<IdentityProviderSpec> implements IdentityProviderStore {
  constructor(tables: Tables, tokens: PageTokens) {
    super(tables, tokens, { table: IDENTITY_PROVIDER_ROWS, scope: 'identityProviders' });
  }

  async all(limit: number): Promise<IdentityProviderRecord[]> {
    return this.select(() => true)
      .sort((a, b) => (a.projectId < b.projectId ? -1 : a.projectId > b.projectId ? 1 : 0))
      .slice(0, limit);
  }
}

/** The resource kit's memory stores over a memory database's tables (MemoryUnitOfWork registers them in one line). */
export function memoryResourceStores(
  tables: Tables,
  tokens: PageTokens,
): Pick<Stores, 'witnesses' | 'policies' | 'clusters' | 'signingRules' | 'importRules' | 'identityProviders'> {
  return {
    witnesses: new MemoryWitnessStore(tables, tokens),
    policies: new MemoryPolicyStore(tables, tokens),
    clusters: new MemoryClusterStore(tables, tokens),
    signingRules: new MemorySigningRuleStore(tables, tokens),
    importRules: new MemoryImportRuleStore(tables, tokens),
    identityProviders: new MemoryIdentityProviderStore(tables, tokens),
  };
}
