import type { Principal } from '../domain/request-context';
import type { Authenticator } from './authenticator';

/** Treats every caller as anonymous, ignoring credentials (library use and unit tests only). */
export const anonymousAuthenticator: Authenticator = {
  authenticate(): Principal | undefined {
    return undefined;
  },
};
