import type { JsonObject, ListQuery, Page } from '../message-types';

/** A decision as stored. */
export interface DecisionRecord {
  readonly decisionId: string;
  readonly projectId: string;
  readonly time: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly allowed: boolean;
  readonly source: string;
  readonly objectKind: string;
  readonly actor: string;
  /** The images the decision is about (its results' `image`, in order): what the `image` filter field matches. */
  readonly images: readonly string[];
  /** The decision as JSON text, made once when it was taken: what is stored and listed. */
  readonly body: string;
}

/** Storage of decisions. */
export interface DecisionStore {
  insert(records: readonly DecisionRecord[]): Promise<void>;
  list(projectId: string, query: ListQuery): Promise<Page<JsonObject>>;
}
