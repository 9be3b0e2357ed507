import type { AdmissionConfig } from '../config';
import { parseProjectName } from '../domain/names';
import type { Logger } from '../logger';
import { checkCluster } from '../policies/policy-names';
import { AdmissionHandler } from './admission-handler';
import { AdmissionMetrics } from './admission-metrics';
import type { ImageVerifier } from './image-verifier';
import { loadOrGenerateTls } from './tls-material';
import { startWebhookServer } from './webhook-server';

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
  listen: { host: string; port: number },
  verifier: ImageVerifier,
  logger: Logger,
): Promise<RunningWebhook> {
  checkAdmissionConfig(config);
  const tls = await loadOrGenerateTls({ certFile: config.tlsCertFile, keyFile: config.tlsKeyFile });
  const metrics = new AdmissionMetrics();
  const handler = new AdmissionHandler(verifier, { deadlineMs: config.deadlineMs, failOpen: config.failOpen }, logger, metrics);
  const server = await startWebhookServer({
    host: listen.host,
    port: listen.port,
    cert: tls.cert,
    key: tls.key,
    bodyLimitBytes: config.bodyLimitBytes,
    handler,
    metrics,
    upstream: () => verifier.probe(),
    logger,
  });
  logger.info(
    {
      admissionPort: server.port,
      project: config.project,
      cluster: config.cluster,
      verifier: verifier.describe,
      deadlineMs: config.deadlineMs,
      failOpen: config.failOpen,
      generatedCert: tls.generated,
    },
    'admission webhook serving POST /validate',
  );
  if (config.failOpen) logger.warn('ADMISSION_FAIL_OPEN is on: when attestd cannot answer, images are admitted UNVERIFIED');
  return {
    port: server.port,
    caBundle: tls.caBundle,
    generatedCert: tls.generated,
    stop: async (graceMs) => {
      await server.stop(graceMs);
      verifier.close();
    },
  };
}
