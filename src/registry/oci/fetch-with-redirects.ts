import { RegistryError } from '../../domain/registry-error';
import { discardBody } from './read-bounded-body';

/** What one registry operation shares across its requests: the registry, one deadline, and how far to follow redirects. */
export interface CallContext {
  registry: string;
  /** Aborts every request and body read of the operation when its deadline passes. */
  signal: AbortSignal;
  timeoutMs: number;
  maxRedirects: number;
  /** Whether http:// URLs may be fetched (only for registries configured with plainHttp). */
  allowPlainHttp: boolean;
}

/** One HTTP request as the registry client sends it. */
export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

const REDIRECTS = [301, 302, 303, 307, 308];

/** A URL for messages: origin and path only (a query may hold a signed storage URL's credentials). */
export function describeUrl(url: URL | string): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** Maps what fetch or a body read threw to a RegistryError (UNREACHABLE); RegistryErrors pass through. */
export function networkError(err: unknown, ctx: CallContext, method: string, url: URL | string, during = ''): RegistryError {
  if (err instanceof RegistryError) return err;
  const target = `${method} ${describeUrl(url)}`;
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || ctx.signal.aborted) {
    return new RegistryError(
      'UNREACHABLE',
      ctx.registry,
      `registry ${ctx.registry} did not answer within ${ctx.timeoutMs} ms (${target}${during})`,
    );
  }
  const code = e.cause?.code;
  const text = e.cause?.message ?? e.message;
  const cause = code !== undefined && text !== undefined && !text.includes(code) ? `${code}: ${text}` : (code ?? text ?? 'unknown error');
  const tls = /SSL|TLS|EPROTO|CERT/i.test(`${code ?? ''} ${text ?? ''}`);
  const hint = tls && new URL(url).protocol === 'https:' ? '; if it serves plain HTTP, set plainHttp for this registry' : '';
  const what = during === '' ? `cannot reach registry ${ctx.registry}` : `registry ${ctx.registry} broke off its answer`;
  return new RegistryError('UNREACHABLE', ctx.registry, `${what} (${target}${during}): ${cause}${hint}`);
}

/**
 * Sends a request and follows at most `ctx.maxRedirects` redirects (blob storage redirects are normal): only to
 * https (or http for a plain-HTTP registry), dropping the Authorization header when the origin changes.
 */
export async function fetchWithRedirects(url: string, request: HttpRequest, ctx: CallContext): Promise<Response> {
  let current = new URL(url);
  let { method, body } = request;
  const headers = { ...request.headers };
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'https:' && !(current.protocol === 'http:' && ctx.allowPlainHttp)) {
      const how = current.protocol === 'http:' ? 'plain http (set plainHttp for this registry to allow it)' : current.protocol;
      throw new RegistryError(
        'BAD_RESPONSE',
        ctx.registry,
        `refused to fetch ${describeUrl(current)} for registry ${ctx.registry} over ${how}`,
      );
    }
    let response: Response;
    try {
      response = await fetch(current, { method, headers, body, redirect: 'manual', signal: ctx.signal });
    } catch (err) {
      throw networkError(err, ctx, method, current);
    }
    if (!REDIRECTS.includes(response.status)) return response;
    const location = response.headers.get('location');
    await discardBody(response);
    const target = `${method} ${describeUrl(current)}`;
    if (location === null || location === '') {
      throw new RegistryError(
        'BAD_RESPONSE',
        ctx.registry,
        `registry ${ctx.registry} answered ${response.status} without a Location to ${target}`,
        response.status,
      );
    }
    if (hop >= ctx.maxRedirects) {
      throw new RegistryError(
        'BAD_RESPONSE',
        ctx.registry,
        `registry ${ctx.registry} redirected ${target} more than ${ctx.maxRedirects} times`,
        response.status,
      );
    }
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new RegistryError(
        'BAD_RESPONSE',
        ctx.registry,
        `registry ${ctx.registry} redirected ${target} to a malformed Location`,
        response.status,
      );
    }
    if (next.origin !== current.origin) delete headers.authorization;
    if (response.status === 303 || (method === 'POST' && (response.status === 301 || response.status === 302))) {
      method = 'GET';
      body = undefined;
    }
    current = next;
  }
}
