/** Who is calling: the verified token's subject and its roles per project (`*` = every project). */
export interface Principal {
  readonly subject: string;
  readonly roles: Readonly<Record<string, readonly string[]>>;
  /** The attestd-minted token it presented, when it has a `jti`: what revocation and `attestd token list` go by. */
  readonly token?: TokenClaims;
}

/** Lifecycle claims of a token attestd verified with its own key. */
export interface TokenClaims {
  /** The `jti`. */
  readonly id: string;
  /** `iat`, when present. */
  readonly issueTime?: string | undefined;
  /** `exp`. */
  readonly expireTime: string;
}

/** What every service call carries from the transport: the request id for logs and errors, and the caller. */
export interface RequestContext {
  readonly requestId: string;
  readonly principal: Principal | undefined;
  readonly transport: 'rest' | 'grpc' | 'internal';
}

/** A context for work attestd does on its own behalf (workers, CLI bootstrap). */
export function internalContext(requestId: string, subject = 'attestd'): RequestContext {
  return { requestId, principal: { subject, roles: { '*': ['admin'] } }, transport: 'internal' };
}
