import type { ResourceRecord } from './resource-record';

/** An import rule's settings (attestd.v1.ImportRule without its name, revision, etag and times), validated. */
export interface ImportRuleSpec {
  /** Lower-case registry host[:port] as clients push to it; signatures are read from it. */
  readonly registry: string;
  /** The first path segment of the repositories the rule covers. */
  readonly namespace: string;
  /** A glob over the rest of the repository path ("*" = all). */
  readonly repositories: string;
  /** The witnesses whose keys verify imported signatures ("projects/{project}/witnesses/{witness}"), of the rule's project. */
  readonly witnesses: readonly string[];
  /** Reach the registry over plain HTTP. */
  readonly plainHttp: boolean;
  readonly enabled: boolean;
  /** Free text. */
  readonly description: string;
}

/** A stored import rule. */
export type ImportRuleRecord = ResourceRecord<ImportRuleSpec>;
