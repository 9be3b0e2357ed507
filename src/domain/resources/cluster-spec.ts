import type { ResourceRecord } from './resource-record';

/**
 * Which namespaces the cluster's ValidatingWebhookConfiguration sends to the adapter (deploy/kubernetes):
 * OPT_OUT every namespace but the exempt ones; OPT_IN only namespaces labelled `attestd.io/enforce: "true"`.
 */
export type WebhookMode = 'OPT_OUT' | 'OPT_IN';

/** What the opt-out webhook configuration skips: kube-system and attestd's own namespace. */
export const DEFAULT_EXEMPT_NAMESPACES: readonly string[] = Object.freeze(['kube-system', 'attestd']);

/** A cluster's settings (attestd.v1.Cluster without its name, revision, etag, times and adapter reports), validated. */
export interface ClusterSpec {
  /** Free text. */
  readonly description: string;
  readonly webhookMode: WebhookMode;
  /** OPT_OUT: the namespaces the webhook does not cover. */
  readonly exemptNamespaces: readonly string[];
  /** OPT_IN: the namespaces labelled `attestd.io/enforce: "true"`, the only ones the webhook covers. */
  readonly enforcedNamespaces: readonly string[];
}

/** A registered cluster. */
export type ClusterRecord = ResourceRecord<ClusterSpec>;

/** What an admission adapter serving a cluster last reported (not part of the spec: a heartbeat, not a change). */
export interface AdapterReport {
  readonly projectId: string;
  readonly clusterId: string;
  /** The adapter's host name (the pod's name in Kubernetes). */
  readonly adapter: string;
  readonly version: string;
  readonly mode: 'in-process' | 'remote';
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly decisionsServed: number;
}
