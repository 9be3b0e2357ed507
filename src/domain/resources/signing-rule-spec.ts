import type { ResourceRecord } from './resource-record';

/** A signing rule's settings (attestd.v1.SigningRule without its name, revision, etag and times), validated. */
export interface SigningRuleSpec {
  /** Lower-case registry host[:port] as clients push to it. */
  readonly registry: string;
  /** The first path segment of the repositories the rule covers. */
  readonly namespace: string;
  /** A glob over the rest of the repository path ("*" = all). */
  readonly repositories: string;
  /** The signing witness ("projects/{project}/witnesses/{witness}"), of the rule's own project. */
  readonly witness: string;
  readonly enabled: boolean;
  /** Free text. */
  readonly description: string;
}

/** A stored signing rule. */
export type SigningRuleRecord = ResourceRecord<SigningRuleSpec>;
