import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectionDrain } from '../connection-drain';
import { decodeUtf8 } from '../domain/strict-utf8';
import type { Logger } from '../logger';
import { BadReviewError } from './admission-review';
import type { AdmissionHandler } from './admission-handler';
import type { AdmissionMetrics } from './admission-metrics';
import type { AdmissionReviewResponse } from './admission-review';
import type { VerifierError } from './image-verifier';
import type { MutationHandler } from './mutation-handler';

export interface WebhookServerOptions {
  readonly host: string;
  readonly port: number;
  readonly cert: string;
  readonly key: string;
  readonly bodyLimitBytes: number;
  readonly handler: AdmissionHandler;
  /** The mutating webhook (POST /mutate), when turned on (--mutate / ADMISSION_MUTATE). */
  readonly mutator?: MutationHandler;
  readonly metrics: AdmissionMetrics;
  /**
   * What attestd says about the adapter's settings (undefined = fine). A MISCONFIGURED answer (no such project,
   * cluster not registered) makes /readyz 503; anything else (attestd down, token refused) is reported in its
   * body while the adapter stays ready, so that reviews get its fail-closed message: see ADR 0005.
   */
  readonly upstream: () => Promise<VerifierError | undefined>;
  readonly logger: Logger;
}

/** A listening webhook. */
export interface WebhookServer {
  readonly port: number;
  /** Serves a new certificate and key to new connections (a reload; the pair was checked by the caller). */
  setCertificate(cert: string, key: string): void;
  stop(graceMs?: number): Promise<void>;
}

/** Serves POST /validate (and /mutate when turned on), GET /healthz, /readyz, /upstreamz, /metrics on bare node:https. */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const server = https.createServer({ cert: options.cert, key: options.key }, (req, res) => {
    route(options, req, res).catch((err) => {
      options.logger.error({ err }, 'admission webhook failed on a request');
      if (!res.headersSent) sendJson(res, 500, { error: { code: 500, message: 'internal error in the admission adapter' } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  const drain = new ConnectionDrain(server);
  server.on('tlsClientError', (err) => options.logger.debug({ err: err.message }, 'TLS handshake failed'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    setCertificate: (cert, key) => server.setSecureContext({ cert, key }),
    stop: (graceMs = 5000) => drain.drain(graceMs),
  };
}

async function route(options: WebhookServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path === '/validate' || path === '/mutate') {
    if (req.method !== 'POST')
      return sendJson(
        res,
        405,
        { error: { code: 405, message: `POST an admission.k8s.io/v1 AdmissionReview to ${path}` } },
        { allow: 'POST' },
      );
    const mutator = options.mutator;
    if (path === '/mutate' && mutator === undefined) {
      return sendJson(res, 404, {
        error: { code: 404, message: 'the mutating webhook is off: start the adapter with --mutate (ADMISSION_MUTATE=true)' },
      });
    }
    const answer =
      path === '/mutate' && mutator
        ? (body: unknown, timeout?: number) => mutator.review(body, timeout)
        : (body: unknown, timeout?: number) => options.handler.review(body, timeout);
    return review(options, req, res, q < 0 ? '' : url.slice(q + 1), answer);
  }
  if (path !== '/healthz' && path !== '/readyz' && path !== '/upstreamz' && path !== '/metrics') {
    return sendJson(res, 404, {
      error: { code: 404, message: `no route ${path.slice(0, 100)}: the webhook serves POST /validate and POST /mutate` },
    });
  }
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return sendJson(res, 405, { error: { code: 405, message: `${req.method} is not served here` } }, { allow: 'GET' });
  switch (path) {
    case '/healthz':
      return sendText(res, 200, 'ok\n');
    case '/readyz': {
      const upstream = await options.upstream();
      if (upstream?.code === 'MISCONFIGURED') return sendText(res, 503, `not ready: ${upstream.message}\n`);
      return sendText(res, 200, upstream ? `ok (attestd: ${upstream.message})\n` : 'ok\n');
    }
    case '/upstreamz': {
      // Whether attestd can answer right now (its database included): for monitoring, not for a probe that
      // restarts the adapter, since a restarted adapter could do no better (ADR 0055).
      const upstream = await options.upstream();
      return upstream ? sendText(res, 503, `attestd cannot answer: ${upstream.message}\n`) : sendText(res, 200, 'ok\n');
    }
    case '/metrics':
      return sendText(res, 200, await options.metrics.registry.metrics(), options.metrics.registry.contentType);
  }
}

async function review(
  options: WebhookServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  query: string,
  answerOf: (body: unknown, apiServerTimeoutMs?: number) => Promise<AdmissionReviewResponse>,
): Promise<void> {
  const limit = options.bodyLimitBytes;
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) return tooLarge(options, req, res);
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  await new Promise<void>((resolve, reject) => {
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', resolve);
    req.on('error', reject);
  });
  if (over) return tooLarge(options, req, res);
  let body: unknown;
  try {
    body = JSON.parse(decodeUtf8(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), 'the body'));
  } catch (err) {
    options.metrics.badRequests.inc({ status: '400' });
    return sendJson(res, 400, {
      error: { code: 400, message: `body is not JSON (${(err as Error).message}); POST an admission.k8s.io/v1 AdmissionReview` },
    });
  }
  try {
    const answer = await answerOf(body, apiServerTimeout(query));
    return sendJson(res, 200, answer);
  } catch (err) {
    if (!(err instanceof BadReviewError)) throw err;
    options.metrics.badRequests.inc({ status: '400' });
    return sendJson(res, 400, { error: { code: 400, message: `not an admission.k8s.io/v1 AdmissionReview: ${err.message}` } });
  }
}

function tooLarge(options: WebhookServerOptions, req: IncomingMessage, res: ServerResponse): void {
  options.metrics.badRequests.inc({ status: '413' });
  sendJson(res, 413, { error: { code: 413, message: `body larger than ${options.bodyLimitBytes} bytes` } }, { connection: 'close' });
  req.resume();
}

/** The API server appends `?timeout=10s` to the webhook URL: the time it will wait, in ms. */
function apiServerTimeout(query: string): number | undefined {
  const m = /(?:^|&)timeout=(\d+)s(?:&|$)/.exec(query);
  return m ? Number(m[1]) * 1000 : undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
