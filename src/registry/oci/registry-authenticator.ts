import { RegistryError } from '../../domain/registry-error';
import { describeUrl, fetchWithRedirects, networkError, type CallContext, type HttpRequest } from './fetch-with-redirects';
import { discardBody, readBoundedBody } from './read-bounded-body';
import type { RegistryCredentials } from './registry-credentials';
import { parseWwwAuthenticate } from './www-authenticate';

/** Largest token-service answer read. */
const MAX_TOKEN_RESPONSE = 256 * 1024;
/** Tokens kept at most (per registry and scope); the oldest goes first. */
const MAX_CACHED_TOKENS = 1000;
/** A token without `expires_in` lives 60 s (the Docker token spec's default and minimum). */
const MIN_TOKEN_SECONDS = 60;
const TOKEN_CHARS = /^[A-Za-z0-9\-._~+/=]+$/;

/** An Authorization header value and what it is, for messages. */
export interface Authorization {
  header: string;
  scheme: 'basic' | 'bearer';
}

interface BearerChallenge {
  realm: string;
  service?: string;
}

/**
 * Answers registry authentication challenges: Basic with the registry's credentials, or the Bearer token flow
 * (token service with Basic credentials or an identity token, else anonymous), caching tokens per registry and
 * scope until they expire. Credentials go to a token service over https only (http for a plain-HTTP registry).
 */
export class RegistryAuthenticator {
  // Private fields: util.inspect of a client never shows a cached token.
  readonly #basic = new Set<string>();
  readonly #bearer = new Map<string, BearerChallenge>();
  readonly #tokens = new Map<string, { token: string; expiresAt: number }>();
  readonly #pending = new Map<string, Promise<string>>();

  constructor(
    private readonly credentials: RegistryCredentials,
    private readonly now: () => number,
  ) {}

  /** How the credentials stand for a registry, for messages: never the secret itself. */
  describe(registry: string): string {
    return this.credentials.secretFor(registry) === undefined
      ? `no credentials are configured for ${registry}`
      : `with the credentials for ${registry} from ${this.credentials.source}`;
  }

  /** What to say when the registry refused the Authorization it had asked for. */
  refusal(registry: string, scope: string, sent: Authorization): string {
    return sent.scheme === 'basic'
      ? `registry ${registry} refused the username and password from ${this.credentials.source}`
      : `registry ${registry} refused the token its token service issued for ${scope} (${this.describe(registry)})`;
  }

  /** The Authorization to send before any challenge, from what the registry asked for earlier. */
  async before(ctx: CallContext, scope: string): Promise<Authorization | undefined> {
    if (this.#basic.has(ctx.registry)) {
      const header = this.credentials.basicAuthorization(ctx.registry);
      return header === undefined ? undefined : { header, scheme: 'basic' };
    }
    const challenge = this.#bearer.get(ctx.registry);
    return challenge === undefined ? undefined : { header: `Bearer ${await this.token(ctx, challenge, scope)}`, scheme: 'bearer' };
  }

  /** The Authorization answering a 401's `WWW-Authenticate`; `sent` is what the refused request carried. */
  async answer(ctx: CallContext, scope: string, wwwAuthenticate: string | null, sent: Authorization | undefined): Promise<Authorization> {
    const registry = ctx.registry;
    const challenges = parseWwwAuthenticate(wwwAuthenticate);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer !== undefined) {
      const realm = bearer.params.realm;
      if (realm === undefined || realm === '') {
        throw new RegistryError('BAD_RESPONSE', registry, `registry ${registry} asked for a Bearer token without naming a realm`, 401);
      }
      const challenge: BearerChallenge = { realm };
      if (bearer.params.service !== undefined) challenge.service = bearer.params.service;
      this.#bearer.set(registry, challenge);
      this.#basic.delete(registry);
      if (sent?.scheme === 'bearer') this.#tokens.delete(`${registry} ${scope}`);
      return { header: `Bearer ${await this.token(ctx, challenge, scope)}`, scheme: 'bearer' };
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      const header = this.credentials.basicAuthorization(registry);
      if (header === undefined) {
        throw new RegistryError(
          'UNAUTHORIZED',
          registry,
          `registry ${registry} requires a username and password (Basic), and ${this.describe(registry)}`,
          401,
        );
      }
      if (sent?.scheme === 'basic') {
        throw new RegistryError('UNAUTHORIZED', registry, this.refusal(registry, scope, sent), 401);
      }
      this.#basic.add(registry);
      return { header, scheme: 'basic' };
    }
    const offered = challenges.map((c) => c.scheme).join(', ');
    throw new RegistryError(
      'UNAUTHORIZED',
      registry,
      offered === ''
        ? `registry ${registry} answered 401 without a WWW-Authenticate challenge`
        : `registry ${registry} asks for authentication scheme ${offered}, which attestd does not speak (Basic and Bearer only)`,
      401,
    );
  }

  /** Forgets a token the registry refused, so the next call asks for a new one. */
  forget(registry: string, scope: string): void {
    this.#tokens.delete(`${registry} ${scope}`);
  }

  private async token(ctx: CallContext, challenge: BearerChallenge, scope: string): Promise<string> {
    const key = `${ctx.registry} ${scope}`;
    const cached = this.#tokens.get(key);
    if (cached !== undefined && cached.expiresAt > this.now()) return cached.token;
    const inFlight = this.#pending.get(key);
    if (inFlight !== undefined) return inFlight;
    const fetching = this.fetchToken(ctx, challenge, scope).finally(() => this.#pending.delete(key));
    this.#pending.set(key, fetching);
    return fetching;
  }

  private async fetchToken(ctx: CallContext, challenge: BearerChallenge, scope: string): Promise<string> {
    const registry = ctx.registry;
    let realm: URL;
    try {
      realm = new URL(challenge.realm);
    } catch {
      throw new RegistryError('BAD_RESPONSE', registry, `registry ${registry} named a token realm that is not a URL`, 401);
    }
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && ctx.allowPlainHttp)) {
      throw new RegistryError(
        'BAD_RESPONSE',
        registry,
        `registry ${registry} sends clients to token service ${describeUrl(realm)}; refused: credentials go to a token service over https only`,
        401,
      );
    }
    const secret = this.credentials.secretFor(registry);
    const request: HttpRequest = { method: 'GET', headers: { 'user-agent': 'attestd' } };
    if (secret?.identityToken !== undefined) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: 'attestd', scope, refresh_token: secret.identityToken });
      if (challenge.service !== undefined) form.set('service', challenge.service);
      request.method = 'POST';
      request.headers['content-type'] = 'application/x-www-form-urlencoded';
      request.body = form.toString();
    } else {
      if (challenge.service !== undefined) realm.searchParams.set('service', challenge.service);
      realm.searchParams.set('scope', scope);
      const basic = this.credentials.basicAuthorization(registry);
      if (basic !== undefined) request.headers.authorization = basic;
    }
    const response = await fetchWithRedirects(realm.toString(), request, ctx);
    const service = `token service ${describeUrl(realm)}`;
    if (response.status < 200 || response.status > 299) {
      await discardBody(response);
      const status = response.status;
      if (status === 401 || status === 403) {
        throw new RegistryError(
          'UNAUTHORIZED',
          registry,
          `${service} refused a token for ${scope} on ${registry} (${status}; ${this.describe(registry)})`,
          status,
        );
      }
      const transient = status === 429 || status >= 500;
      throw new RegistryError(transient ? 'UNREACHABLE' : 'BAD_RESPONSE', registry, `${service} answered ${status} for ${scope}`, status);
    }
    let body: Buffer;
    try {
      body = await readBoundedBody(
        response,
        MAX_TOKEN_RESPONSE,
        (limit) => new RegistryError('TOO_LARGE', registry, `${service} answered with more than ${limit} bytes`),
      );
    } catch (err) {
      throw networkError(err, ctx, request.method, realm, ' reading the token');
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new RegistryError('BAD_RESPONSE', registry, `${service} answered with something other than JSON`);
    }
    const token = typeof parsed?.token === 'string' && parsed.token !== '' ? parsed.token : parsed?.access_token;
    if (typeof token !== 'string' || !TOKEN_CHARS.test(token)) {
      throw new RegistryError('BAD_RESPONSE', registry, `${service} answered without a usable "token" or "access_token"`);
    }
    const seconds = typeof parsed.expires_in === 'number' && parsed.expires_in > MIN_TOKEN_SECONDS ? parsed.expires_in : MIN_TOKEN_SECONDS;
    const key = `${registry} ${scope}`;
    this.#tokens.delete(key);
    this.#tokens.set(key, { token, expiresAt: this.now() + seconds * 900 });
    while (this.#tokens.size > MAX_CACHED_TOKENS) this.#tokens.delete(this.#tokens.keys().next().value!);
    return token;
  }
}
