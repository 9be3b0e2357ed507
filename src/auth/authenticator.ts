import type { Principal } from '../domain/request-context';

/** Turns an Authorization header value into the caller; throws UNAUTHENTICATED for a bad token. */
export interface Authenticator {
  /** undefined when no credentials were sent (anonymous); the services then refuse what needs a role. */
  authenticate(authorization: string | undefined): Principal | undefined;
}
