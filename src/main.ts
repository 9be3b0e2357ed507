import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { ANCHOR_FILE, AuditAnchorWriter } from './audit/audit-anchors';
import { AuditRecorder } from './audit/audit-recorder';
import { AuditSequencer } from './audit/audit-sequencer';
import { AuditService } from './audit/audit-service';
import { RefusalCapture } from './transport/refusal-capture';
import { SecurityEventLog } from './audit/security-event-log';
import { Access } from './auth/access';
import { JwtAuthenticator } from './auth/jwt-authenticator';
import { resolveJwtKey } from './auth/token-secrets';
import { startAdmissionWebhook, type RunningWebhook } from './admission/admission-webhook';
import { InProcessVerifier } from './admission/in-process-verifier';
import type { AdmissionConfig, Config } from './config';
import { systemClock } from './domain/clock';
import { NoteService } from './grafeas/note-service';
import { OccurrenceService } from './grafeas/occurrence-service';
import type { Logger } from './logger';
import { Metrics } from './metrics';
import { KeyService } from './kms/key-service';
import { LocalKeyProvider } from './kms/local-key-provider';
import { loadMasterKey } from './kms/master-key';
import { POLICY_KIND } from './policies/policy-kind';
import { ProjectService } from './projects/project-service';
import { ChangeListener } from './store/change-listener';
import { ChangeFeed } from './domain/change-feed';
import { DecisionRecorder } from './verification/decision-recorder';
import { DecisionService } from './verification/decision-service';
import { touchingRecorder } from './verification/touching-recorder';
import { VerificationService } from './verification/verification-service';
import { resourceHandlers } from './transport/resource-handlers';
import { verificationHandlers } from './transport/verification-handlers';
import { loadProtoRoot } from './proto/proto-root';
import { isMigrated, migrateLatest, openDatabase } from './store/database';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './store/embedded/embedded-postgres';
import { PageTokens } from './store/page-token';
import { SettingsStore } from './store/settings-store';
import { PostgresUnitOfWork } from './store/postgres-unit-of-work';
import { auditHandlers } from './transport/audit-handlers';
import { grafeasHandlers } from './transport/grafeas-handlers';
import { bindGrpc, grpcServer } from './transport/grpc/grpc-server';
import { answerClientErrors } from './transport/http/client-error-reply';
import { httpApp } from './transport/http/http-app';
import { RateLimiter } from './transport/rate-limiter';
import { grpcServerCredentials, loadTls, restServer } from './transport/tls-options';
import { keyHandlers } from './transport/key-handlers';
import { projectHandlers } from './transport/project-handlers';
import { witnessHandlers } from './transport/witness-handlers';
import { AttestService } from './witnesses/attest-service';
import { HookMetrics } from './registry/hook-metrics';
import { HookService } from './registry/hook-service';
import { HookRetention } from './registry/hook-retention';
import { HookWorker } from './registry/hook-worker';
import { SIGNING_RULE_KIND } from './registry/signing-rule-kind';
import { ResourceService } from './resources/resource-service';
import { hookHandlers } from './transport/hook-handlers';
import { WitnessService } from './witnesses/witness-service';

/** A running attestd: its bound ports and a graceful stop. */
export interface RunningServer {
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly databaseUrl: string;
  /** The in-process admission webhook (`serve --admission`), when started. */
  readonly admission?: RunningWebhook;
  readonly verification: VerificationService;
  stop(): Promise<void>;
}

/** The database attestd uses: the configured server, or the embedded one under DATA_DIR. */
export async function connectDatabase(config: Config, logger: Logger): Promise<{ knex: Knex; url: string; embedded?: EmbeddedDatabase }> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, logger });
    url = embedded.url;
  }
  return { knex: openDatabase({ url, poolMax: config.databasePoolMax, logger }), url, embedded };
}

/** The composition root: config → database → stores → services → transports. */
export async function startServer(config: Config, logger: Logger, options: { admission?: AdmissionConfig } = {}): Promise<RunningServer> {
  // Bad TLS files fail here, before the database starts, with a message naming the variable and file.
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
  const { knex, url, embedded } = await connectDatabase(config, logger);
  // Listeners opened before a later start-up step fails: closed again, so that the process exits.
  const unwind: Array<() => void> = [];
  try {
    if (config.migrateOnStart) await withRetry(() => migrateLatest(knex), logger);
    const settings = new SettingsStore(knex);
    const tokens = new PageTokens(await withRetry(() => settings.secret('page_token_key'), logger));
    const feed = new ChangeFeed();
    let sequencer: AuditSequencer | undefined;
    const uow = new PostgresUnitOfWork(knex, tokens, ({ touched, audited }) => {
      feed.bump(touched);
      sequencer?.wake(audited);
    });
    sequencer = new AuditSequencer(uow, logger);
    const changeListener = new ChangeListener(url, feed, logger);
    const access = new Access(true);
    const audit = new AuditRecorder(systemClock);
    const changes = touchingRecorder(audit);
    const notes = new NoteService(uow, access, systemClock, changes);
    const occurrences = new OccurrenceService(uow, access, systemClock, changes);
    const projects = new ProjectService(uow, access, systemClock, changes);
    const keyProvider = new LocalKeyProvider(
      loadMasterKey({ masterKey: config.masterKey, masterKeyFile: config.masterKeyFile, dataDir: config.dataDir, logger }),
    );
    const keys = new KeyService(uow, access, systemClock, changes, keyProvider);
    const witnesses = new WitnessService(uow, access, systemClock, changes, keys);
    const attest = new AttestService(uow, access, systemClock, changes, keys, witnesses);
    const policies = new ResourceService(POLICY_KIND, uow, access, systemClock, changes);
    const decisionRecorder = new DecisionRecorder(uow, audit, logger);
    const verification = new VerificationService(uow, access, systemClock, feed, decisionRecorder, witnesses, {
      cache: config.verdictCache,
      feedTrusted: () => changeListener.connected,
    });
    const metrics = new Metrics();
    const hookMetrics = new HookMetrics(metrics);
    const hookWorker = new HookWorker(uow, attest, systemClock, logger, hookMetrics);
    const hookRetention = new HookRetention(uow, systemClock, logger, config.hookEventRetentionDays);
    const services = [
      grafeasHandlers(notes, occurrences),
      projectHandlers(projects),
      keyHandlers(keys),
      witnessHandlers(witnesses, attest),
      resourceHandlers(policies),
      resourceHandlers(new ResourceService(SIGNING_RULE_KIND, uow, access, systemClock, changes)),
      hookHandlers(new HookService(uow, access, systemClock, changes, () => hookWorker.wake(), hookMetrics)),
      verificationHandlers(verification, new DecisionService(uow, access)),
    ];

    const securityLog = new SecurityEventLog(uow, systemClock, logger);
    const refusals = new RefusalCapture(securityLog);
    const anchors = new AuditAnchorWriter(uow, path.join(config.dataDir, ANCHOR_FILE), logger);
    const apis = refusals.wrapServices([...services, auditHandlers(new AuditService(uow, access, sequencer))]);

    const root = loadProtoRoot();
    const pool = (knex.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number } }).pool;
    metrics.gauge('attestd_db_pool_used', 'Database connections in use', () => pool?.numUsed() ?? 0);
    metrics.gauge('attestd_db_pool_free', 'Idle database connections', () => pool?.numFree() ?? 0);
    metrics.gauge('attestd_db_pool_pending', 'Requests waiting for a database connection', () => pool?.numPendingAcquires() ?? 0);
    let queries = 0;
    knex.on('query', () => void queries++);
    metrics.gauge('attestd_db_queries', 'Statements sent to the database since start (a counter)', () => queries);

    const app = httpApp({
      root,
      services: apis,
      authenticator,
      logger,
      metrics,
      metricsPublic: config.metricsPublic,
      rateLimiter,
      classifyError: (err) => uow.classifyError(err),
      ready: async () => (await knex.raw('SELECT 1').then(() => true)) && isMigrated(knex),
    });
    const httpServer = restServer(refusals.httpListener(app, authenticator), tls);
    answerClientErrors(httpServer, logger);
    httpServer.keepAliveTimeout = 65000;
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.httpPort, config.host, () => resolve());
    });
    unwind.push(() => {
      httpServer.close();
      httpServer.closeAllConnections();
    });
    const { server: grpc } = grpcServer({
      root,
      services: apis,
      authenticator: refusals.deferringAuthenticator(authenticator),
      logger,
      metrics,
      rateLimiter,
      classifyError: (err) => uow.classifyError(err),
    });
    unwind.push(() => grpc.forceShutdown());
    const grpcPort = await bindGrpc(grpc, config.host, config.grpcPort, grpcServerCredentials(tls));
    const httpPort = (httpServer.address() as AddressInfo).port;
    const admissionConfig = options.admission;
    const admission = admissionConfig
      ? await startAdmissionWebhook(
          admissionConfig,
          { host: config.host, port: config.admissionPort },
          new InProcessVerifier(verification, admissionConfig.project, admissionConfig.cluster),
          logger,
        )
      : undefined;
    sequencer.start();
    securityLog.start();
    anchors.start();
    changeListener.start();
    hookWorker.start();
    hookRetention.start();
    logger.info(
      {
        httpPort,
        grpcPort,
        host: config.host,
        tls: tls ? (tls.clientCa ? 'on, gRPC client certificates required' : 'on') : 'off',
        rateLimitPerMinute: config.rateLimitPerMinute || 'off',
        database: embedded ? `embedded in ${config.dataDir}` : 'DATABASE_URL',
      },
      'attestd serving',
    );

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        logger.info('attestd stopping: finishing in-flight requests');
        const admissionClosed = admission?.stop(config.shutdownGraceMs);
        const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeIdleConnections();
        const grpcClosed = new Promise<void>((resolve) => grpc.tryShutdown(() => resolve()));
        const grace = setTimeout(() => {
          httpServer.closeAllConnections();
          grpc.forceShutdown();
        }, config.shutdownGraceMs);
        await Promise.all([httpClosed, grpcClosed, admissionClosed]);
        clearTimeout(grace);
        hookRetention.stop();
        await hookWorker.stop();
        await decisionRecorder.flush();
        await changeListener.stop();
        await securityLog.stop();
        await sequencer.stop();
        await anchors.stop();
        await knex.destroy();
        await embedded?.stop();
        logger.info('attestd stopped');
      })());
    return { httpPort, grpcPort, databaseUrl: url, stop, verification, admission };
  } catch (err) {
    for (const undo of unwind.reverse()) undo();
    await knex.destroy().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
}

/** Retries start-up work while the database is still coming up (e.g. under docker compose). */
async function withRetry<T>(work: () => Promise<T>, logger: Logger, attempts = 30): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      const code = (err as { code?: string }).code;
      const transient = code === 'ECONNREFUSED' || code === '57P03' || (err as Error).name === 'KnexTimeoutError';
      if (!transient || i >= attempts) throw err;
      logger.warn({ attempt: i, code }, 'database not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
