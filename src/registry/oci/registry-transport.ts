import { RegistryError } from '../../domain/registry-error';
import { fetchWithRedirects, networkError, type CallContext } from './fetch-with-redirects';
import { discardBody, readBoundedBody } from './read-bounded-body';
import { RegistryAuthenticator, type Authorization } from './registry-authenticator';
import type { RegistryCredentials } from './registry-credentials';
import { registryEndpoint } from './registry-endpoint';
import { statusError } from './registry-status-error';

/** How one registry is reached. */
export interface RegistryOptions {
  /** Speak plain HTTP instead of https (a local or test registry); never the default. */
  plainHttp?: boolean;
}

/** What the transport needs: credentials, per-registry options, the deadline per operation, the redirect limit, a clock. */
export interface RegistryTransportOptions {
  credentials: RegistryCredentials;
  registries: Readonly<Record<string, RegistryOptions>>;
  timeoutMs: number;
  maxRedirects: number;
  now: () => number;
}

/** One request of an operation: the path under the registry's origin and what it is for messages. */
export interface RegistryRequest {
  method: 'GET' | 'HEAD';
  /** `/v2/…`, with any query. */
  path: string;
  accept?: string;
  /** `repository:<name>:pull`. */
  scope: string;
  /** `manifest ns/app:1.0`: what the messages say was asked for. */
  what: string;
  /** Statuses handed back to the caller instead of becoming a RegistryError (404 for a fallback). */
  pass?: readonly number[];
}

/** Sends authenticated registry API requests under one deadline per operation, and maps failures to RegistryErrors. */
export class RegistryTransport {
  private readonly auth: RegistryAuthenticator;

  constructor(private readonly options: RegistryTransportOptions) {
    this.auth = new RegistryAuthenticator(options.credentials, options.now);
  }

  /** Starts an operation on a registry: its deadline runs from now. */
  begin(registry: string): CallContext {
    const plainHttp = this.options.registries[registry]?.plainHttp === true;
    return {
      registry,
      signal: AbortSignal.timeout(this.options.timeoutMs),
      timeoutMs: this.options.timeoutMs,
      maxRedirects: this.options.maxRedirects,
      allowPlainHttp: plainHttp,
    };
  }

  /** Sends a request, answering one authentication challenge; returns a 2xx answer (or one of `pass`), else throws. */
  async send(ctx: CallContext, request: RegistryRequest): Promise<Response> {
    const url = `${registryEndpoint(ctx.registry, ctx.allowPlainHttp)}${request.path}`;
    let sent: Authorization | undefined = await this.auth.before(ctx, request.scope);
    let response = await this.fetch(ctx, url, request, sent);
    if (response.status === 401) {
      const challenge = response.headers.get('www-authenticate');
      await discardBody(response);
      sent = await this.auth.answer(ctx, request.scope, challenge, sent);
      response = await this.fetch(ctx, url, request, sent);
      if (response.status === 401) {
        await discardBody(response);
        this.auth.forget(ctx.registry, request.scope);
        throw new RegistryError('UNAUTHORIZED', ctx.registry, this.auth.refusal(ctx.registry, request.scope, sent), 401);
      }
    }
    if ((response.status >= 200 && response.status <= 299) || request.pass?.includes(response.status)) return response;
    throw await statusError(ctx.registry, request.what, response, this.auth.describe(ctx.registry));
  }

  /** Reads a body of at most `limit` bytes under the operation's deadline. */
  async read(ctx: CallContext, response: Response, limit: number, what: string): Promise<Buffer> {
    const tooLarge = (max: number, declared?: number): RegistryError =>
      new RegistryError(
        'TOO_LARGE',
        ctx.registry,
        `registry ${ctx.registry} sent ${declared === undefined ? 'more than' : `${declared} bytes, more than`} the ${max}-byte limit for ${what}`,
      );
    try {
      return await readBoundedBody(response, limit, tooLarge);
    } catch (err) {
      throw networkError(err, ctx, 'GET', response.url || registryEndpoint(ctx.registry, ctx.allowPlainHttp), ` while reading ${what}`);
    }
  }

  private fetch(ctx: CallContext, url: string, request: RegistryRequest, authorization: Authorization | undefined): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': 'attestd' };
    if (request.accept !== undefined) headers.accept = request.accept;
    if (authorization !== undefined) headers.authorization = authorization.header;
    return fetchWithRedirects(url, { method: request.method, headers }, ctx);
  }
}
