/** A tenant. */
export interface ProjectRecord {
  readonly projectId: string;
  readonly createTime: string;
}

/** What a project holds, for deciding whether it may be deleted. */
export interface ProjectContents {
  readonly notes: number;
  readonly occurrences: number;
  /** Keys, witnesses, policies, signing rules and import rules. */
  readonly keys: number;
  readonly witnesses: number;
  readonly policies: number;
  readonly signingRules: number;
  readonly importRules: number;
  /** Occurrences in other projects that point at this project's notes. */
  readonly foreignReferences: number;
}

/** Storage of projects. */
export interface ProjectStore {
  /** Inserts the project; false when it already exists. */
  insert(record: ProjectRecord): Promise<boolean>;
  get(projectId: string): Promise<ProjectRecord | undefined>;
  /** Locks the project row for the rest of the transaction; false when it does not exist. */
  lockShared(projectId: string): Promise<boolean>;
  list(pageSize: number, pageToken: string | undefined): Promise<{ items: ProjectRecord[]; nextPageToken: string }>;
  contents(projectId: string): Promise<ProjectContents>;
  /** Deletes the project and everything in it (its audit trail stays); false when it did not exist. */
  deleteWithContents(projectId: string): Promise<boolean>;
}
