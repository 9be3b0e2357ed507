import fs from 'node:fs';
import { loadAdmissionConfig, loadConfig } from '../config';
import { createLogger } from '../logger';
import { startAdmissionWebhook } from './admission-webhook';
import { RemoteVerifier } from './remote-verifier';
import { TokenFile } from './token-file';

/** How a process of `attestd admission --workers N` tells its group what happens to it (the CLI supplies these). */
export interface AdapterLifecycle {
  /** The name the adapter reports in under (default: the host name). */
  readonly adapter?: string;
  /** Called once the webhook serves. */
  readonly serving?: () => void;
  /** Called with the reason when it could not start, instead of printing it. */
  readonly startFailed?: (message: string) => void;
  /** Called once it has stopped. */
  readonly stopped?: () => void;
}

/** `attestd admission` with its parsed flags (NAME → value): the stateless adapter, asking a `serve` instance at --server. */
export async function admissionCommand(flags: Readonly<Record<string, string>>, lifecycle: AdapterLifecycle = {}): Promise<number> {
  let webhook;
  let tokenFile: TokenFile | undefined;
  const config = loadConfig(process.env, flags);
  const logger = createLogger(config.logLevel);
  try {
    const admission = loadAdmissionConfig(process.env, flags);
    tokenFile = admission.tokenFile === undefined ? undefined : new TokenFile(admission.tokenFile, logger);
    if (!admission.token && !tokenFile)
      logger.warn('no --token / ATTESTD_TOKEN (or --token-file): attestd will answer 401 and every review will be denied');
    const verifier = new RemoteVerifier({
      server: admission.server,
      project: admission.project,
      cluster: admission.cluster,
      token: admission.token,
      tokenSource: tokenFile,
      ca: admission.caFile === undefined ? undefined : readCaFile(admission.caFile),
      insecureServer: admission.insecureServer,
      ...(lifecycle.adapter !== undefined ? { adapter: lifecycle.adapter } : {}),
    });
    if (admission.insecureServer && verifier.describe.startsWith('attestd at http:'))
      logger.warn('--insecure-server: the token and the verdicts cross the network to attestd unencrypted');
    const listenOn = {
      host: config.host,
      port: config.admissionPort,
      tlsReloadIntervalMs: config.tlsReloadIntervalMs,
      registryAuthFile: config.registryAuthFile,
    };
    webhook = await startAdmissionWebhook(admission, listenOn, verifier, logger);
  } catch (err) {
    tokenFile?.stop();
    logger.fatal({ err: (err as Error).message }, 'admission adapter could not start');
    if (lifecycle.startFailed) lifecycle.startFailed((err as Error).message);
    else process.stderr.write(`attestd admission: ${(err as Error).message}\n`);
    return 1;
  }
  printCaBundle(webhook);
  lifecycle.serving?.();
  const running = webhook;
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string): void => {
      logger.info({ signal }, 'signal received: admission adapter stopping');
      tokenFile?.stop();
      running.stop(config.shutdownGraceMs).then(resolve, resolve);
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  lifecycle.stopped?.();
  return 0;
}

/** Prints the generated certificate's caBundle on stdout (one line), for the ValidatingWebhookConfiguration. */
export function printCaBundle(webhook: { caBundle: string; generatedCert: boolean; port: number }): void {
  if (!webhook.generatedCert) return;
  process.stdout.write(
    `admission webhook on port ${webhook.port} uses a generated self-signed certificate; caBundle:\n${webhook.caBundle}\n`,
  );
}

/** Reads --ca-file: PEM certificates that attestd's TLS certificate must chain to. */
function readCaFile(file: string): string {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`--ca-file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`--ca-file ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return pem;
}
