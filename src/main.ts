import { createServices, serviceStores } from './app/create-services';
import { createStores } from './app/create-stores';
import { createTransports, loadEdgeSettings } from './app/create-transports';
import { serverWorkers } from './app/server-workers';
import { startWorkers } from './app/worker';
import { LocalKeyProvider } from './kms/local-key-provider';
import { loadMasterKey } from './kms/master-key';
import type { RunningWebhook } from './admission/admission-webhook';
import type { AdmissionConfig, Config } from './config';
import type { Logger } from './logger';
import type { VerificationService } from './verification/verification-service';

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

/** The composition root: config → edge settings → stores → services → transports, then the workers in list order. */
export async function startServer(
  config: Config,
  logger: Logger,
  options: {
    admission?: AdmissionConfig;
    /** Run the background jobs (audit sequencer and anchors, hook and import workers, retention): one process of a group does. */
    background?: boolean;
    /** The name the in-process webhook reports in to its cluster under (default: the host name); one per worker of a group. */
    adapterName?: string;
  } = {},
): Promise<RunningServer> {
  // Bad TLS files and token keys fail here, before the database starts, with a message naming the variable and file.
  const edge = loadEdgeSettings(config, logger);
  // So does a bad MASTER_KEY or MASTER_KEY_FILE (a missing one is generated in DATA_DIR).
  const keyProvider = new LocalKeyProvider(
    loadMasterKey({ masterKey: config.masterKey, masterKeyFile: config.masterKeyFile, dataDir: config.dataDir, logger }),
  );
  const stores = await createStores(config, logger, { checkSettings: true });
  let transports;
  let services;
  try {
    services = createServices(serviceStores(stores), config, logger, { keyProvider });
    transports = createTransports(services, stores, edge, config, logger, options);
  } catch (err) {
    await stores.close().catch(() => undefined);
    throw err;
  }
  // Started in this order, stopped in reverse: the database first and last, the listeners last and first.
  const stop = await startWorkers(
    [
      { name: 'database', start: () => undefined, stop: () => stores.close() },
      ...serverWorkers(stores, services, { background: options.background ?? true }),
      transports,
    ],
    logger,
  );
  logger.info(
    {
      httpPort: transports.httpPort,
      grpcPort: transports.grpcPort,
      host: config.host,
      tls: edge.tls ? (edge.tls.clientCa ? 'on, gRPC client certificates required' : 'on') : 'off',
      rateLimitPerMinute: config.rateLimitPerMinute || 'off',
      database: stores.location,
    },
    'attestd serving',
  );
  let stopping: Promise<void> | undefined;
  return {
    httpPort: transports.httpPort,
    grpcPort: transports.grpcPort,
    databaseUrl: stores.databaseUrl,
    admission: transports.admission,
    verification: services.verification,
    stop: () => (stopping ??= stop().then(() => logger.info('attestd stopped'))),
  };
}
