import type { JsonObject } from '../message-types';

/** A signing rule as stored: its queried columns plus the full message. */
export interface SigningRuleRecord {
  readonly projectId: string;
  readonly ruleId: string;
  /** Lower-case host[:port]. */
  readonly registry: string;
  readonly namespace: string;
  readonly repositories: string;
  /** The signing witness's id (in the rule's project). */
  readonly witnessId: string;
  readonly enabled: boolean;
  readonly revision: number;
  readonly body: JsonObject;
  readonly createTime: string;
  readonly updateTime: string;
}

/** Storage of signing rules. */
export interface SigningRuleStore {
  /** false when the id is taken. */
  insert(record: SigningRuleRecord): Promise<boolean>;
  get(projectId: string, ruleId: string, forUpdate?: boolean): Promise<SigningRuleRecord | undefined>;
  list(projectId: string, pageSize: number, pageToken: string | undefined): Promise<{ items: SigningRuleRecord[]; nextPageToken: string }>;
  update(record: SigningRuleRecord): Promise<void>;
  delete(projectId: string, ruleId: string): Promise<boolean>;
  /** Every enabled rule of a project, ordered by id. */
  enabled(projectId: string): Promise<SigningRuleRecord[]>;
}
