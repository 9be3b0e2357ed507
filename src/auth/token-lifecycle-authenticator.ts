import { ApiError } from '../domain/api-error';
import type { Principal } from '../domain/request-context';
import type { Authenticator } from './authenticator';
import type { RevocationList } from './revocation-list';
import type { TokenSightings } from './token-sightings';

/**
 * Wraps the token verifiers (attestd's own and the identity providers'): a revoked jti is refused (401), and every
 * other token with a jti is recorded the first time it is seen.
 */
export class TokenLifecycleAuthenticator implements Authenticator {
  constructor(
    private readonly inner: Authenticator,
    private readonly revocations: RevocationList,
    private readonly sightings: TokenSightings,
  ) {}

  authenticate(authorization: string | undefined): Principal | undefined | Promise<Principal | undefined> {
    const principal = this.inner.authenticate(authorization);
    return principal instanceof Promise ? principal.then((p) => this.check(p)) : this.check(principal);
  }

  private check(principal: Principal | undefined): Principal | undefined {
    const token = principal?.token;
    if (!principal || !token) return principal;
    const revoked = this.revocations.revokedAt(token.id);
    if (revoked !== undefined) {
      throw new ApiError(
        'UNAUTHENTICATED',
        `the bearer token (jti ${token.id}) was revoked at ${revoked}; ask an admin for a new one (attestd token create)`,
      );
    }
    this.sightings.note(principal);
    return principal;
  }
}
