import type { AdmissionConfig } from '../config';
import { parseProjectName } from '../domain/names';
import type { Logger } from '../logger';
import { checkCluster } from '../policies/policy-names';
import { AdmissionHandler } from './admission-handler';
import { AdmissionMetrics } from './admission-metrics';
import type { ImageVerifier } from './image-verifier';
import { CertificateReloader } from '../certificate-reloader';
import { registryClients } from '../registry/oci/registry-clients';
import { MutationHandler } from './mutation-handler';
import { TagResolver } from './tag-resolver';
import { loadOrGenerateTls, readWebhookTls } from './tls-material';
import { startWebhookServer } from './webhook-server';

/** How often --tls-cert/--tls-key are checked for a change when the caller does not say (TLS_RELOAD_INTERVAL_MS). */
const DEFAULT_RELOAD_INTERVAL_MS = 5000;
/** How often an adapter reports in to attestd besides its readiness probes. */
const REPORT_INTERVAL_MS = 30_000;

/** A running admission webhook. */
export interface RunningWebhook {
  readonly port: number;
  /** base64 PEM for `caBundle` in the ValidatingWebhookConfiguration. */
  readonly caBundle: string;
  /** True when the serving certificate was generated at start-up. */
  readonly generatedCert: boolean;
  stop(graceMs?: number): Promise<void>;
}

/** Checks the settings every mode shares; throws a message naming the flag to fix. */
export function checkAdmissionConfig(config: AdmissionConfig): void {
  try {
    parseProjectName(`projects/${config.project}`, 'project');
    checkCluster(config.cluster, 'cluster');
  } catch (err) {
    throw new Error(`admission settings: ${(err as Error).message} (--project / ADMISSION_PROJECT, --cluster / ADMISSION_CLUSTER)`);
  }
}

/** Starts the webhook on host:port over `verifier` (in-process or remote): TLS, handler, metrics, server. */
export async function startAdmissionWebhook(
  config: AdmissionConfig,
  listen: { host: string; port: number; tlsReloadIntervalMs?: number; reportIntervalMs?: number; registryAuthFile?: string },
  verifier: ImageVerifier,
  logger: Logger,
): Promise<RunningWebhook> {
  checkAdmissionConfig(config);
  const tls = await loadOrGenerateTls({ certFile: config.tlsCertFile, keyFile: config.tlsKeyFile });
  const metrics = new AdmissionMetrics();
  const handler = new AdmissionHandler(verifier, { deadlineMs: config.deadlineMs, failOpen: config.failOpen }, logger, metrics);
  // The mutating webhook (ADR 0065): tags pinned to digests with REGISTRY_AUTH_FILE's credentials.
  const mutator = config.mutate
    ? new MutationHandler(
        new TagResolver({
          clients: registryClients(listen.registryAuthFile, config.resolveTimeoutMs),
          plainHttpRegistries: config.plainHttpRegistries,
        }),
        { deadlineMs: config.resolveTimeoutMs },
        logger,
        metrics,
      )
    : undefined;
  const server = await startWebhookServer({
    host: listen.host,
    port: listen.port,
    cert: tls.cert,
    key: tls.key,
    bodyLimitBytes: config.bodyLimitBytes,
    handler,
    mutator,
    metrics,
    upstream: () => verifier.reportIn(handler.decisionsServed),
    logger,
  });
  // Certificates from files follow them (cert-manager rotates them); a generated one lives as long as the process.
  const { tlsCertFile, tlsKeyFile } = config;
  const reloader =
    tlsCertFile && tlsKeyFile && !tls.generated
      ? new CertificateReloader(
          {
            files: [tlsCertFile, tlsKeyFile],
            load: () => readWebhookTls(tlsCertFile, tlsKeyFile),
            intervalMs: listen.tlsReloadIntervalMs ?? DEFAULT_RELOAD_INTERVAL_MS,
            what: 'the admission webhook',
            logger,
          },
          tls,
        )
      : undefined;
  reloader?.onChange((m) => server.setCertificate(m.cert, m.key));
  reloader?.start();
  logger.info(
    {
      admissionPort: server.port,
      project: config.project,
      cluster: config.cluster,
      verifier: verifier.describe,
      deadlineMs: config.deadlineMs,
      failOpen: config.failOpen,
      generatedCert: tls.generated,
      mutate: config.mutate,
      ...(config.mutate ? { registryAuthFile: listen.registryAuthFile ?? '(none: anonymous)' } : {}),
    },
    config.mutate ? 'admission webhook serving POST /validate and POST /mutate' : 'admission webhook serving POST /validate',
  );
  // Reports in at start, with every readiness probe and every REPORT_INTERVAL_MS, so attestd shows it serving.
  const reporter = setInterval(() => void verifier.reportIn(handler.decisionsServed), listen.reportIntervalMs ?? REPORT_INTERVAL_MS);
  reporter.unref();
  void verifier.reportIn(handler.decisionsServed).then((upstream) => {
    if (upstream?.code === 'MISCONFIGURED')
      logger.error({ attestd: upstream.message }, 'admission adapter NOT READY: every review is denied');
    else if (upstream)
      logger.warn({ attestd: upstream.message }, 'attestd is not answering the admission adapter yet: reviews are denied until it does');
  });
  if (config.failOpen) logger.warn('ADMISSION_FAIL_OPEN is on: when attestd cannot answer, images are admitted UNVERIFIED');
  return {
    port: server.port,
    caBundle: tls.caBundle,
    generatedCert: tls.generated,
    stop: async (graceMs) => {
      clearInterval(reporter);
      reloader?.stop();
      await server.stop(graceMs);
      verifier.close();
    },
  };
}
