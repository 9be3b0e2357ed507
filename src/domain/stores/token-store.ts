/** A token attestd has seen or revoked, by its jti: what it grants and until when (never the token itself). */
export interface TokenRecord {
  readonly jti: string;
  /** The token's `sub`; empty for a jti revoked before any replica saw the token. */
  readonly subject: string;
  /** The token's roles per project (`*` = every project). */
  readonly roles: Readonly<Record<string, readonly string[]>>;
  /** The token's `iat`, when it has one. */
  readonly issueTime?: string | undefined;
  /** The token's `exp`; absent for a jti revoked before any replica saw the token. */
  readonly expireTime?: string | undefined;
  /** When attestd first recorded the jti. */
  readonly recordTime: string;
  readonly revokeTime?: string | undefined;
  /** Who revoked it (the revoking token's subject); empty while it is not revoked. */
  readonly revokedBy: string;
}

/** A revoked jti and until when its revocation matters (the token's expiry; open-ended when unknown). */
export interface Revocation {
  readonly jti: string;
  readonly revokeTime: string;
  readonly expireTime?: string | undefined;
}

/** Storage of the tokens attestd has seen and of revocations. */
export interface TokenStore {
  /** Records tokens not recorded yet; a jti already recorded (or revoked) is left as it is. */
  recordSeen(records: readonly TokenRecord[]): Promise<void>;
  get(jti: string): Promise<TokenRecord | undefined>;
  /** Tokens by jti. */
  list(pageSize: number, pageToken: string | undefined): Promise<{ items: TokenRecord[]; nextPageToken: string }>;
  /**
   * Revokes the jti (recording it, empty, when it was never seen); revoking again keeps the first revocation.
   * Returns the record as it now stands.
   */
  revoke(jti: string, time: string, revokedBy: string): Promise<TokenRecord>;
  /** Revocations still in force at `now`: of tokens not yet expired, or whose expiry is unknown. */
  revocations(now: string): Promise<Revocation[]>;
}
