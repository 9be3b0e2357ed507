import type { JsonObject } from '../message-types';

/** A policy as stored: its queried columns plus the full message. */
export interface PolicyRecord {
  readonly projectId: string;
  readonly policyId: string;
  readonly cluster: string;
  readonly namespaces: readonly string[];
  readonly enabled: boolean;
  readonly revision: number;
  /** Witness names ("projects/p/witnesses/w"). */
  readonly witnesses: readonly string[];
  readonly body: JsonObject;
  readonly createTime: string;
  readonly updateTime: string;
}

/** Storage of security policies. */
export interface PolicyStore {
  insert(record: PolicyRecord): Promise<boolean>;
  get(projectId: string, policyId: string, forUpdate?: boolean): Promise<PolicyRecord | undefined>;
  list(projectId: string, pageSize: number, pageToken: string | undefined): Promise<{ items: PolicyRecord[]; nextPageToken: string }>;
  update(record: PolicyRecord): Promise<void>;
  delete(projectId: string, policyId: string): Promise<boolean>;
  /** Enabled policies covering a cluster's namespace. */
  enabledFor(projectId: string, cluster: string, namespace: string): Promise<PolicyRecord[]>;
}
