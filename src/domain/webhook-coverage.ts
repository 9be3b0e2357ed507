/** The parts of a cluster's declaration (attestd.v1.Cluster) that say which namespaces its webhook sees (ADR 0030). */
export interface WebhookDeclaration {
  readonly webhookMode?: string;
  readonly exemptNamespaces?: readonly string[];
  readonly enforcedNamespaces?: readonly string[];
}

/** Namespaces no webhook configuration of deploy/kubernetes ever covers, whatever the mode. */
const ALWAYS_EXEMPT: readonly string[] = ['kube-system', 'attestd'];

/**
 * True when the cluster's webhook, as declared, sends reviews from `namespace` to attestd: OPT_OUT every
 * namespace but the exempt ones (and kube-system, attestd), OPT_IN only the enforced ones (ADR 0065).
 */
export function webhookCovers(cluster: WebhookDeclaration, namespace: string): boolean {
  if (ALWAYS_EXEMPT.includes(namespace)) return false;
  if (cluster.webhookMode === 'OPT_IN') return (cluster.enforcedNamespaces ?? []).includes(namespace);
  return !(cluster.exemptNamespaces ?? []).includes(namespace);
}

/**
 * The warning for namespaces of `namespaces` the cluster's webhook does not cover, saying how to fix it;
 * undefined when it covers them all.
 */
export function coverageWarning(clusterId: string, cluster: WebhookDeclaration, namespaces: readonly string[]): string | undefined {
  const uncovered = namespaces.filter((n) => !webhookCovers(cluster, n));
  if (uncovered.length === 0) return undefined;
  const list = uncovered.join(', ');
  const them = uncovered.length === 1 ? `namespace ${list} is` : `namespaces ${list} are`;
  const fix = uncovered.some((n) => ALWAYS_EXEMPT.includes(n))
    ? `${ALWAYS_EXEMPT.join(' and ')} are never sent to attestd`
    : cluster.webhookMode === 'OPT_IN'
      ? `label it attestd.io/enforce=true and add it to the cluster's enforcedNamespaces`
      : `remove it from the cluster's exemptNamespaces (and its kritis-validation: disabled label)`;
  const mode = cluster.webhookMode === 'OPT_IN' ? 'OPT_IN' : 'OPT_OUT';
  return `${them} not covered by the admission webhook of cluster ${clusterId} (${mode}): policies there are never enforced at admission; ${fix}`;
}
