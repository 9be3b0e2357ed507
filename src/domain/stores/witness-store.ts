/** A public key of a signer outside attestd. */
export interface ExternalKey {
  readonly keyId: string;
  readonly pem: string;
  readonly algorithm: string;
}

/** A witness as stored. Its note is projects/{projectId}/notes/{witnessId}. */
export interface WitnessRecord {
  readonly projectId: string;
  readonly witnessId: string;
  readonly description: string;
  /** attestd key names; the first signs. */
  readonly keys: readonly string[];
  readonly publicKeys: readonly ExternalKey[];
  readonly createTime: string;
  readonly updateTime: string;
}

/** Storage of witnesses. */
export interface WitnessStore {
  /** false when the id is taken. */
  insert(record: WitnessRecord): Promise<boolean>;
  get(projectId: string, witnessId: string, forUpdate?: boolean): Promise<WitnessRecord | undefined>;
  /** Several witnesses at once, keyed by "projects/p/witnesses/w". */
  getMany(names: readonly { projectId: string; witnessId: string }[]): Promise<Map<string, WitnessRecord>>;
  list(projectId: string, pageSize: number, pageToken: string | undefined): Promise<{ items: WitnessRecord[]; nextPageToken: string }>;
  update(record: WitnessRecord): Promise<void>;
  delete(projectId: string, witnessId: string): Promise<boolean>;
  /** Names of the policies and signing rules that use the witness. */
  users(projectId: string, witnessId: string): Promise<string[]>;
}
