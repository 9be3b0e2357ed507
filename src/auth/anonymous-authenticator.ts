import { ApiError } from '../domain/api-error';
import type { Principal } from '../domain/request-context';
import type { Authenticator } from './authenticator';

/** Accepts no credentials at all: every caller is anonymous (library use and unit tests only). */
export const anonymousAuthenticator: Authenticator = {
  authenticate(authorization: string | undefined): Principal | undefined {
    if (authorization) throw new ApiError('UNAUTHENTICATED', 'this server does not accept tokens');
    return undefined;
  },
};
