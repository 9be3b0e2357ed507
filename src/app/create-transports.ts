import { ConnectionDrain } from '../connection-drain';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { startAdmissionWebhook, type RunningWebhook } from '../admission/admission-webhook';
import { InProcessVerifier } from '../admission/in-process-verifier';
import type { SecurityEventLog } from '../audit/security-event-log';
import type { Authenticator } from '../auth/authenticator';
import { JwtAuthenticator } from '../auth/jwt-authenticator';
import { TokenLifecycleAuthenticator } from '../auth/token-lifecycle-authenticator';
import { FederatedAuthenticator } from '../identity/federated-authenticator';
import { JwksCache } from '../identity/jwks-cache';
import { resolveJwtKey } from '../auth/token-secrets';
import type { AdmissionConfig, Config } from '../config';
import { projectOf } from '../domain/audit-event';
import type { Logger } from '../logger';
import { loadProtoRoot } from '../proto/proto-root';
import { bindGrpc, grpcServer } from '../transport/grpc/grpc-server';
import { answerClientErrors } from '../transport/http/client-error-reply';
import { CONSOLE_ASSETS_DIR } from '../transport/http/console-router';
import { accessLog } from '../transport/access-log';
import { httpApp } from '../transport/http/http-app';
import { RateLimiter } from '../transport/rate-limiter';
import type { RefusalSink } from '../transport/refusal-sink';
import { grpcServerCredentials, loadTls, restServer, tlsReloader, type TlsMaterial } from '../transport/tls-options';
import { apiHandlers } from './api-handlers';
import type { AppServices } from './create-services';
import type { AppStores } from './create-stores';
import type { Worker } from './worker';

/** What the transports need that is checked before the database starts: TLS files, the token key, the rate limit. */
export interface EdgeSettings {
  readonly tls: TlsMaterial | undefined;
  readonly authenticator: Authenticator;
  readonly rateLimiter: RateLimiter | undefined;
}

/** Reads the edge settings; bad TLS files or token keys fail here with a message naming the variable and file. */
export function loadEdgeSettings(config: Config, logger: Logger): EdgeSettings {
  const tls = loadTls(config);
  const rateLimiter =
    config.rateLimitPerMinute > 0
      ? new RateLimiter(config.rateLimitPerMinute, config.rateLimitBurst || config.rateLimitPerMinute)
      : undefined;
  const authenticator = new JwtAuthenticator({
    key: resolveJwtKey(config, logger),
    audience: config.jwtAudience,
    issuer: config.jwtIssuer,
  });
  return { tls, authenticator, rateLimiter };
}

/** The listening side of a server: REST, gRPC and (when asked) the admission webhook, as one worker. */
export interface Transports extends Worker {
  /** The bound ports, once started. */
  readonly httpPort: number;
  readonly grpcPort: number;
  /** The in-process admission webhook (`serve --admission`), once started. */
  readonly admission: RunningWebhook | undefined;
}

/** Builds REST and gRPC over the services' handlers (and the admission webhook when asked); `start` listens. */
export function createTransports(
  services: AppServices,
  stores: AppStores,
  edge: EdgeSettings,
  config: Config,
  logger: Logger,
  options: { admission?: AdmissionConfig; adapterName?: string } = {},
): Transports {
  const root = loadProtoRoot();
  const handlers = apiHandlers(services);
  const classifyError = (err: unknown) => stores.uow.classifyError(err);
  const onRefusal = securityRefusals(services.securityLog);
  const { rateLimiter, tls } = edge;
  const federated = new FederatedAuthenticator(edge.authenticator, services.providerTable, new JwksCache(logger), {
    ownIssuer: config.jwtIssuer,
  });
  const authenticator = new TokenLifecycleAuthenticator(federated, services.revocations, services.tokenSightings);
  const metrics = services.metrics;
  stores.instrument(metrics);
  const requests = config.accessLog ? accessLog(logger) : undefined;
  const app = httpApp({
    root,
    services: handlers,
    authenticator,
    logger,
    metrics,
    metricsPublic: config.metricsPublic,
    rateLimiter,
    classifyError,
    onRefusal,
    requestDeadlineMs: config.requestDeadlineMs,
    ready: () => stores.ready(),
    consoleDir: config.console ? CONSOLE_ASSETS_DIR : undefined,
    accessLog: requests,
  });
  const reloader = tls ? tlsReloader(config, tls, config.tlsReloadIntervalMs, logger) : undefined;
  const httpServer = restServer(app, reloader);
  answerClientErrors(httpServer, logger);
  httpServer.keepAliveTimeout = 65000;
  const httpDrain = new ConnectionDrain(httpServer);
  const { server: grpcSrv } = grpcServer({
    root,
    services: handlers,
    authenticator,
    logger,
    metrics,
    rateLimiter,
    classifyError,
    onRefusal,
    accessLog: requests,
    requestDeadlineMs: config.requestDeadlineMs,
  });
  let ports: { http: number; grpc: number } | undefined;
  let admission: RunningWebhook | undefined;

  return {
    name: 'transports',
    get httpPort() {
      return ports?.http ?? 0;
    },
    get grpcPort() {
      return ports?.grpc ?? 0;
    },
    get admission() {
      return admission;
    },
    async start() {
      // Listeners opened before a later one fails are closed again, so that the process can exit.
      const opened: Array<() => void> = [];
      try {
        await listen(httpServer, config.httpPort, config.host);
        opened.push(() => {
          httpServer.close();
          httpServer.closeAllConnections();
        });
        opened.push(() => grpcSrv.forceShutdown());
        const grpcPort = await bindGrpc(grpcSrv, config.host, config.grpcPort, grpcServerCredentials(reloader));
        const asked = options.admission;
        if (asked) {
          const verifier = new InProcessVerifier(
            services.verification,
            services.clusterReports,
            asked.project,
            asked.cluster,
            logger,
            options.adapterName,
          );
          const listenOn = {
            host: config.host,
            port: config.admissionPort,
            tlsReloadIntervalMs: config.tlsReloadIntervalMs,
            registryAuthFile: config.registryAuthFile,
          };
          admission = await startAdmissionWebhook(asked, listenOn, verifier, logger);
        }
        reloader?.start();
        opened.push(() => reloader?.stop());
        ports = { http: (httpServer.address() as AddressInfo).port, grpc: grpcPort };
      } catch (err) {
        for (const close of opened.reverse()) close();
        throw err;
      }
    },
    async stop() {
      logger.info('attestd stopping: finishing in-flight requests');
      reloader?.stop();
      await drain(httpDrain, grpcSrv, admission, config.shutdownGraceMs);
    },
  };
}

/** Feeds the transports' refusals to the security event log. */
function securityRefusals(log: SecurityEventLog): RefusalSink {
  return ({ ctx, actor, method, resource, error }) =>
    log.note({
      projectId: projectOf(resource),
      actor,
      method,
      resource,
      requestId: ctx.requestId,
      transport: ctx.transport,
      code: error.code,
      reason: error.message,
    });
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

/**
 * Drains every listener at once: no new connections; in-flight and newly arriving requests on open connections
 * are answered (HTTP/1.1 with `Connection: close`, HTTP/2 after a GOAWAY); after `graceMs` what is left is cut.
 */
async function drain(
  httpDrain: ConnectionDrain,
  grpcSrv: grpc.Server,
  admission: RunningWebhook | undefined,
  graceMs: number,
): Promise<void> {
  const admissionClosed = admission?.stop(graceMs);
  const httpClosed = httpDrain.drain(graceMs);
  const grpcClosed = new Promise<void>((resolve) => grpcSrv.tryShutdown(() => resolve()));
  const grace = setTimeout(() => grpcSrv.forceShutdown(), graceMs);
  await Promise.all([httpClosed, grpcClosed, admissionClosed]);
  clearTimeout(grace);
}
