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
  readonly body: JsonObject;
}

/** Storage of decisions. */
export interface DecisionStore {
  insert(records: readonly DecisionRecord[]): Promise<void>;
  list(projectId: string, query: ListQuery): Promise<Page<JsonObject>>;
}

/** The images a decision is about (its results' `image`, in order): what the `image` filter field matches. */
export function decisionImages(r: DecisionRecord): string[] {
  const results = r.body.results;
  if (!Array.isArray(results)) return [];
  return results.flatMap((x) => {
    const image = (x as { image?: unknown } | null)?.image;
    return typeof image === 'string' ? [image] : [];
  });
}
