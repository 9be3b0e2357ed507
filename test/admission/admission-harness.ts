import https from 'node:https';
import { startAdmissionWebhook, type RunningWebhook } from '../../src/admission/admission-webhook';
import { RemoteVerifier } from '../../src/admission/remote-verifier';
import { loadAdmissionConfig, loadConfig, type AdmissionConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/main';
import { defaultBackend } from '../support/test-database';
import { TEST_JWT_SECRET, testToken } from '../support/test-server';
import type { LooseJson } from '../support/loose-json';

type Json = Record<string, LooseJson>;

/** The admission settings tests use: project p1, cluster c1, a 1.5 s deadline. */
export function admissionSettings(env: Record<string, string> = {}): AdmissionConfig {
  return loadAdmissionConfig({ ADMISSION_PROJECT: 'p1', ADMISSION_CLUSTER: 'c1', ADMISSION_DEADLINE_MS: '1500', ...env }, {});
}

/** attestd on a scratch database, optionally with the in-process webhook (`serve --admission`). */
export async function startAttestd(
  options: { admission?: AdmissionConfig; env?: Record<string, string> } = {},
): Promise<RunningServer & { baseUrl: string }> {
  const config = loadConfig({
    DATABASE_URL: await defaultBackend().createDatabase(),
    HOST: '127.0.0.1',
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    ADMISSION_PORT: '0',
    LOG_LEVEL: 'silent',
    SHUTDOWN_GRACE_MS: '2000',
    JWT_SECRET: TEST_JWT_SECRET,
    ...options.env,
  });
  const server = await startServer(config, silentLogger(), { admission: options.admission });
  return { ...server, baseUrl: `http://127.0.0.1:${server.httpPort}` };
}

/** `attestd admission` in this process: the remote adapter asking `server` (http:// as with --insecure-server; https:// trusting `ca`). */
export async function startRemoteWebhook(
  server: string,
  settings: AdmissionConfig = admissionSettings(),
  token = testToken({ p1: ['admission'] }, 'admission-webhook'),
  ca?: string,
): Promise<RunningWebhook> {
  const insecureServer = server.startsWith('http://');
  const verifier = new RemoteVerifier({ server, project: settings.project, cluster: settings.cluster, token, ca, insecureServer });
  return startAdmissionWebhook(settings, { host: '127.0.0.1', port: 0, tlsReloadIntervalMs: 100 }, verifier, silentLogger());
}

/** An HTTPS client for a webhook that trusts only its caBundle (as kube-apiserver does), over keep-alive. */
export class WebhookClient {
  private readonly agent: https.Agent;

  constructor(
    private readonly webhook: Pick<RunningWebhook, 'port' | 'caBundle'>,
    servername = 'localhost',
  ) {
    this.agent = new https.Agent({ keepAlive: true, ca: Buffer.from(webhook.caBundle, 'base64').toString('utf8'), servername });
  }

  /** Sends raw bytes; resolves status and the parsed answer. */
  send(
    method: string,
    path: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: LooseJson; text: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: this.webhook.port,
          method,
          path,
          agent: this.agent,
          headers: { 'content-type': 'application/json', ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, text });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** POSTs an AdmissionReview to /validate (compact, as the API server does) and returns its response part. */
  async review(review: Json): Promise<Json> {
    const { status, body, text } = await this.send('POST', '/validate?timeout=10s', JSON.stringify(review));
    if (status !== 200) throw new Error(`webhook answered ${status}: ${text}`);
    if (body.apiVersion !== 'admission.k8s.io/v1' || body.kind !== 'AdmissionReview') throw new Error(`not an AdmissionReview: ${text}`);
    if (body.response.uid !== review.request.uid) throw new Error(`uid not echoed: ${text}`);
    return body.response;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A small REST client with an admin token. */
export class Rest {
  constructor(
    private readonly baseUrl: string,
    private readonly token = testToken(),
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<LooseJson> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  post = (path: string, body: unknown = {}): Promise<LooseJson> => this.call('POST', path, body);
  patch = (path: string, body: unknown): Promise<LooseJson> => this.call('PATCH', path, body);

  async text(path: string): Promise<string> {
    const res = await fetch(`${this.baseUrl}${path}`, { headers: { authorization: `Bearer ${this.token}` } });
    return res.text();
  }
}

/** The scenario's set-up: project p1, key k1, witness w1, cluster c1 registered, policy pol (cluster c1, namespace default, enabled). */
export async function scenario(rest: Rest): Promise<void> {
  await rest.post('/v1/projects', { name: 'projects/p1' });
  await rest.post('/v1/projects/p1/keys?keyId=k1', { keySpec: 'RSA_2048', purpose: 'SIGN_VERIFY' });
  await rest.post('/v1/projects/p1/witnesses?witnessId=w1', { key: 'projects/p1/keys/k1' });
  await rest.post('/v1/projects/p1/clusters?clusterId=c1', {});
  await rest.post('/v1/projects/p1/policies?policyId=pol', {
    witnesses: ['projects/p1/witnesses/w1'],
    cluster: 'c1',
    namespaces: ['default'],
    enabled: true,
  });
}
