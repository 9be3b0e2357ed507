import { availableCores } from '../app/available-cores';
import type { AdmissionConfig, Config } from '../config';

/**
 * How many processes `attestd serve` runs: WORKERS / --workers when set, else the cores available with
 * DATABASE_URL and one on the embedded database, which serves a single process. Throws, naming the setting,
 * for a combination that cannot work.
 */
export function serveWorkerCount(config: Config, admission: AdmissionConfig | undefined): number {
  const count = config.workers ?? (config.databaseUrl ? availableCores() : 1);
  if (count > 1 && !config.databaseUrl) {
    throw new Error(
      `WORKERS (--workers) ${count} needs DATABASE_URL: the embedded database serves one process; set DATABASE_URL or WORKERS=1`,
    );
  }
  if (count > 1 && admission && (!admission.tlsCertFile || !admission.tlsKeyFile)) {
    throw new Error(
      `serve --admission with ${count} workers needs --tls-cert and --tls-key (ADMISSION_TLS_CERT, ADMISSION_TLS_KEY): ` +
        'each worker would otherwise make a certificate of its own; or set WORKERS=1',
    );
  }
  return count;
}

/**
 * How many processes `attestd admission` runs: WORKERS / --workers when set, else the cores available when the
 * serving certificate comes from files, and one with a generated certificate (each process would make its own,
 * and the caBundle printed would match one of them). Throws, naming the setting, for more than one without files.
 */
export function admissionWorkerCount(config: Config, admission: AdmissionConfig): number {
  const files = Boolean(admission.tlsCertFile && admission.tlsKeyFile);
  const count = config.workers ?? (files ? availableCores() : 1);
  if (count > 1 && !files) {
    throw new Error(
      `attestd admission with ${count} workers needs --tls-cert and --tls-key (ADMISSION_TLS_CERT, ADMISSION_TLS_KEY): ` +
        'each worker would otherwise make a certificate of its own; or set WORKERS=1',
    );
  }
  return count;
}
