import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import { adapterVersion } from './adapter-version';
import type { VerifyOutput } from '../verification/verdict';
import { VerifierError, databaseShareMs, misconfigured, type ImageVerifier, type VerifyRequest } from './image-verifier';

/** Largest answer accepted from attestd (200 images with their evidence fit easily). */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export interface RemoteVerifierOptions {
  /** attestd's REST base URL, e.g. http://attestd.attestd.svc:8080. */
  readonly server: string;
  readonly project: string;
  readonly cluster: string;
  /** A bearer token with the `admission` role on the project. */
  readonly token: string | undefined;
  /** Or where the current token is read (--token-file): asked before every call, told to read again after a 401. */
  readonly tokenSource?: { current(): string; reread(): void } | undefined;
  /** PEM CA bundle attestd's certificate must chain to (--ca-file); the system's CAs when unset. */
  readonly ca?: string | undefined;
  /** Allows an http:// server (--insecure-server): the token and the verdicts then cross the network in the clear. */
  readonly insecureServer?: boolean | undefined;
  /** How the adapter names itself when it reports in (default: the host name, the pod's name in Kubernetes). */
  readonly adapter?: string;
}

/**
 * Verifies through attestd's REST API (`POST /v1/projects/{p}:verifyImages`) over keep-alive connections.
 * It keeps no verdicts of its own: attestd's cache is invalidated by every committed change, which a
 * stateless adapter could not see, so a policy change applies to the very next review.
 */
export class RemoteVerifier implements ImageVerifier {
  readonly describe: string;
  private readonly adapter: string;
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  constructor(private readonly options: RemoteVerifierOptions) {
    this.base = new URL(options.server);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new Error(`--server must be an http:// or https:// URL, got "${options.server}"`);
    }
    if (this.base.protocol === 'http:' && !options.insecureServer) {
      throw new Error(
        `--server ${this.base.origin} is plain HTTP: the adapter's token and attestd's verdicts would cross the network unencrypted. ` +
          'Serve attestd over TLS (TLS_CERT_FILE, TLS_KEY_FILE) and use --server https://… (with --ca-file for a private CA), ' +
          'or accept the risk explicitly with --insecure-server',
      );
    }
    if (this.base.protocol === 'http:' && options.ca !== undefined) {
      throw new Error(`--ca-file verifies attestd's TLS certificate, but --server ${this.base.origin} is plain HTTP: use https://`);
    }
    this.describe = `attestd at ${this.base.origin}`;
    this.adapter = options.adapter ?? os.hostname();
    this.transport = this.base.protocol === 'https:' ? https : http;
    const agentOptions = { keepAlive: true, keepAliveMsecs: 15_000, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' as const };
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({ ...agentOptions, ...(options.ca !== undefined ? { ca: options.ca } : {}) })
        : new http.Agent(agentOptions);
  }

  async verify(request: VerifyRequest, signal: AbortSignal, deadlineMs: number): Promise<VerifyOutput> {
    const path = `/v1/projects/${encodeURIComponent(this.options.project)}:verifyImages`;
    const body = JSON.stringify({ cluster: this.options.cluster, ...request });
    // attestd bounds its database work by this (X-Server-Timeout, seconds), so a database that hangs still
    // yields its recorded denial saying so within the review's deadline (ADR 0075).
    const serverTimeout = (databaseShareMs(deadlineMs) / 1000).toFixed(3);
    const { status, json } = await this.call('POST', path, body, signal, { 'x-server-timeout': serverTimeout });
    if (status === 200) {
      const out = json as VerifyOutput | undefined;
      if (!out || !Array.isArray(out.results) || out.results.length !== request.images.length || typeof out.allowed !== 'boolean') {
        throw new VerifierError('attestd answered with a verdict the adapter cannot read', 'FAILED');
      }
      return out;
    }
    throw this.statusError(status, json);
  }

  async reportIn(decisionsServed: number): Promise<VerifierError | undefined> {
    try {
      // Proves token, role, project and cluster without recording a decision, and tells attestd the adapter is serving.
      const { project, cluster } = this.options;
      const body = JSON.stringify({ adapter: this.adapter, version: adapterVersion(), mode: 'remote', decisionsServed });
      const path = `/v1/projects/${encodeURIComponent(project)}/clusters/${encodeURIComponent(cluster)}:reportIn`;
      const { status, json } = await this.call('POST', path, body, AbortSignal.timeout(3000));
      return status === 200 ? undefined : this.statusError(status, json);
    } catch (err) {
      return err instanceof VerifierError ? err : new VerifierError((err as Error).message, 'FAILED');
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private statusError(status: number, json: unknown): VerifierError {
    const e = (json as { error?: { message?: unknown; status?: unknown } } | undefined)?.error;
    const detail = typeof e?.message === 'string' ? `: ${e.message.slice(0, 200)}` : '';
    if (status === 401) {
      // A projected token may have just been rotated: the next call uses what the file holds now.
      this.options.tokenSource?.reread();
      const fix = this.options.tokenSource ? 'check the token in --token-file / ATTESTD_TOKEN_FILE' : 'set --token or ATTESTD_TOKEN';
      return new VerifierError(`attestd rejected the admission adapter's token (401${detail}); ${fix}`, 'UNAUTHENTICATED');
    }
    if (status === 403) {
      return new VerifierError(
        `the admission adapter's token lacks the admission role on project ${this.options.project} (403${detail})`,
        'PERMISSION_DENIED',
      );
    }
    const wrongSetting =
      status === 404 && typeof e?.message === 'string'
        ? misconfigured(e.message.slice(0, 300), this.options.project, this.options.cluster)
        : undefined;
    if (wrongSetting) return wrongSetting;
    if (status >= 500 || status === 429) return new VerifierError(`attestd failed (${status}${detail})`, 'FAILED');
    return new VerifierError(`attestd refused the check (${status}${detail})`, 'REJECTED');
  }

  private call(
    method: string,
    path: string,
    body: string | undefined,
    signal: AbortSignal,
    extraHeaders: Readonly<Record<string, string>> = {},
  ): Promise<{ status: number; json: unknown }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
      const token = this.options.tokenSource?.current() ?? this.options.token;
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      const req = this.transport.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          path: this.base.pathname.replace(/\/$/, '') + path,
          method,
          headers,
          agent: this.agent,
          signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_RESPONSE_BYTES)
              req.destroy(new VerifierError(`attestd answered with more than ${MAX_RESPONSE_BYTES} bytes`, 'FAILED'));
            else chunks.push(c);
          });
          res.on('end', () => {
            let json: unknown;
            try {
              json = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, json });
          });
          res.on('error', (err) => reject(this.networkError(err, signal)));
        },
      );
      req.on('error', (err) => reject(this.networkError(err, signal)));
      req.end(body);
    });
  }

  private networkError(err: Error, signal: AbortSignal): VerifierError {
    if (err instanceof VerifierError) return err;
    if (signal.aborted) return new VerifierError('attestd did not answer in time', 'TIMEOUT');
    const code = (err as NodeJS.ErrnoException).code ?? err.message;
    return new VerifierError(`attestd is unreachable: it did not answer (${code})`, 'UNREACHABLE');
  }
}
