import type { Principal } from '../domain/request-context';

/**
 * Turns an Authorization header value into the caller; throws (or rejects with) UNAUTHENTICATED for a bad token.
 * attestd's own tokens are verified synchronously; those of identity providers may need their keys fetched.
 */
export interface Authenticator {
  /** undefined when no credentials were sent (anonymous); the services then refuse what needs a role. */
  authenticate(authorization: string | undefined): Principal | undefined | Promise<Principal | undefined>;
}
