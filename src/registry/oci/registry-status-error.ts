import { RegistryError, type RegistryErrorReason } from '../../domain/registry-error';
import { readBoundedBody } from './read-bounded-body';

/** Most of an error body read, to find the registry's own error code and message. */
const MAX_ERROR_BODY = 16 * 1024;
/** Longest registry-supplied text quoted in a message. */
const MAX_DETAIL = 200;

/** Registry-supplied text, quoted and shortened for a message. */
export function quoteRemote(text: string): string {
  const flat = text.replace(/\p{Cc}+/gu, ' ').trim();
  return JSON.stringify(flat.length > MAX_DETAIL ? `${flat.slice(0, MAX_DETAIL)}…` : flat);
}

/** The registry's `{"errors":[{"code","message"}]}` as `CODE: message`, or '' when the body is not that. */
async function errorDetail(response: Response): Promise<string> {
  try {
    const body = await readBoundedBody(response, MAX_ERROR_BODY, () => new Error('too large'));
    const first = (JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: unknown; message?: unknown }> }).errors?.[0];
    if (first === undefined) return '';
    const code = typeof first.code === 'string' ? first.code : '';
    const message = typeof first.message === 'string' ? first.message : '';
    return ` ${quoteRemote([code, message].filter(Boolean).join(': '))}`;
  } catch {
    return '';
  }
}

/**
 * The RegistryError for a non-2xx answer about `what` (`manifest ns/app:1.0`, `blob ns/app@sha256:…`): 404 NOT_FOUND,
 * 401/403 UNAUTHORIZED, 429/5xx UNREACHABLE, anything else BAD_RESPONSE. `auth` says which credentials were used.
 */
export async function statusError(registry: string, what: string, response: Response, auth: string): Promise<RegistryError> {
  const status = response.status;
  const detail = await errorDetail(response);
  let reason: RegistryErrorReason;
  let message: string;
  if (status === 404) {
    reason = 'NOT_FOUND';
    message = `registry ${registry} has no ${what} (404${detail})`;
  } else if (status === 401 || status === 403) {
    reason = 'UNAUTHORIZED';
    message = `registry ${registry} denied access to ${what} (${status}${detail}; ${auth})`;
  } else if (status === 429 || status >= 500) {
    reason = 'UNREACHABLE';
    message = `registry ${registry} could not answer for ${what} (${status}${detail}); try again later`;
  } else {
    reason = 'BAD_RESPONSE';
    message = `registry ${registry} answered ${status} for ${what}${detail ? ` (${detail.trim()})` : ''}`;
  }
  return new RegistryError(reason, registry, message, status);
}
