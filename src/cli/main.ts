import { printCaBundle, admissionCommand } from '../admission/admission-command';
import { ADMISSION_FLAGS, CONFIG_FLAGS, loadAdmissionConfig, loadConfig } from '../config';
import type { FlagValues } from '../flags';
import { createLogger } from '../logger';
import { createStores } from '../app/create-stores';
import { startServer } from '../main';
import cluster from 'node:cluster';
import { loadEdgeSettings } from '../app/create-transports';
import { loadMasterKey } from '../kms/master-key';
import { leaveGroup, reportReady, reportStartFailure, runServeGroup, workerIndex } from './serve-group';
import { admissionWorkerCount, serveWorkerCount } from './serve-worker-count';
import os from 'node:os';
import { attestCommand } from './attest-command';
import { auditCommand } from './audit-command';
import { clustersCommand } from './clusters-command';
import { commandFlags } from './command-flags';
import { hooksCommand } from './hooks-command';
import { importCommand } from './import-command';
import { identityProvidersCommand } from './identity-providers-command';
import { importRulesCommand } from './import-rules-command';
import { keysCommand } from './keys-command';
import { policiesCommand } from './policies-command';
import { projectsCommand } from './projects-command';
import { reviewCommand } from './review-command';
import { rulesCommand } from './rules-command';
import { scanCommand } from './scan-command';
import { vexCommand } from './vex-command';
import { tokenCommand } from './token-command';
import { verifyCommand } from './verify-command';
import { witnessesCommand } from './witnesses-command';

const USAGE = `usage: attestd <command> [flags]

commands:
  serve      run the REST and gRPC metadata service (embedded database unless DATABASE_URL is set);
             --admission also serves the admission webhook in-process (--project, --cluster, --tls-cert, --tls-key);
             --workers N runs N processes on the same ports (default with DATABASE_URL: the cores available)
  admission  the admission webhook alone, asking attestd at --server https://… (--ca-file, --token or --token-file, --project, --cluster,
             --tls-cert, --tls-key; an http:// server needs --insecure-server; --mutate also serves POST /mutate,
             pinning image tags to digests); --workers N runs N processes on the same port (default with
             --tls-cert/--tls-key: the cores available; 1 with a generated certificate)
  migrate    apply database migrations and exit
  audit      audit verify [--project P]: check the audit hash chains and their anchors
  token      token create --sub S --role R [--project P] [--ttl 24h]: mint a bearer token; token list|revoke JTI
  identity-providers  identity-providers create|list|get|delete: trusted OIDC issuers whose tokens authenticate
             (Kubernetes service-account tokens, CI OIDC tokens)
  projects   projects create|list|get|delete: manage projects (REST client: --server URL, --token T or ATTESTD_TOKEN)
  keys       keys create|list|get|public-key|rotate|disable|enable: signing keys of a project (--project P or ATTESTD_PROJECT)
  witnesses  witnesses create|list|get|delete: signing authorities and their ATTESTATION notes
  clusters   clusters create|list|get|delete: register the clusters policies and admission adapters name
  policies   policies create|list|get|enable|disable|delete: which witnesses a cluster namespace requires
  rules      rules create|list|get|enable|disable|delete: which witness signs pushes into a registry namespace
  hooks      hooks events|retry: what the registry hooks received and signed; retry a FAILED signing
  import-rules  import-rules create|list|get|enable|disable|delete: which witnesses' cosign signatures are imported
             from a registry namespace
  attest     attest IMAGE --witness W: sign an image by digest and store the attestation
  import     import IMAGE: read the image's cosign signatures from its registry and record what its import rules' witnesses verify
  scan       scan import IMAGE REPORT.json: import a Trivy or Grype JSON report as vulnerability occurrences
  vex        vex import|list|delete: OpenVEX statements that suppress findings (not_affected, fixed)
  verify     verify IMAGE (--witness W | --namespace N --cluster C): exit 0 when verified/allowed, 1 with the reason
  review     review FILE --namespace N: send kubectl objects to the admission webhook and print what kubectl would

Configuration comes from the environment (DATABASE_URL, DATA_DIR, HOST, HTTP_PORT, GRPC_PORT, LOG_LEVEL, ...);
a flag of the same name overrides it, e.g. --http-port 8081 or --HTTP_PORT=8081. \`attestd <command> --help\` lists
a command's flags; an unknown flag is an error (exit 2).`;

const SERVE_FLAGS = { ...CONFIG_FLAGS, ...ADMISSION_FLAGS, admission: { type: 'boolean' } } as const;
const ADMISSION_COMMAND_FLAGS = { ...CONFIG_FLAGS, ...ADMISSION_FLAGS };

/** Each command and what runs it (the argument list after the command name). */
const COMMANDS: Readonly<Record<string, (rest: readonly string[]) => Promise<number>>> = {
  serve: (rest) => commandFlags('serve', rest, SERVE_FLAGS, USAGE, serve),
  migrate: (rest) => commandFlags('migrate', rest, CONFIG_FLAGS, USAGE, migrate),
  admission: (rest) => commandFlags('admission', rest, ADMISSION_COMMAND_FLAGS, USAGE, admission),
  audit: (rest) => auditCommand([...rest]),
  token: (rest) => tokenCommand([...rest]),
  projects: (rest) => projectsCommand([...rest]),
  keys: (rest) => keysCommand([...rest]),
  witnesses: (rest) => witnessesCommand([...rest]),
  clusters: (rest) => clustersCommand([...rest]),
  policies: (rest) => policiesCommand([...rest]),
  rules: (rest) => rulesCommand([...rest]),
  hooks: (rest) => hooksCommand([...rest]),
  'import-rules': (rest) => importRulesCommand([...rest]),
  'identity-providers': (rest) => identityProvidersCommand([...rest]),
  attest: (rest) => attestCommand([...rest]),
  import: (rest) => importCommand([...rest]),
  scan: (rest) => scanCommand([...rest]),
  vex: (rest) => vexCommand([...rest]),
  verify: (rest) => verifyCommand([...rest]),
  review: (rest) => reviewCommand(rest),
};

/** The attestd command line; resolves the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    process.stderr.write(`attestd: unknown command "${command}"\n\n${USAGE}\n`);
    return 2;
  }
  return run(rest);
}

async function serve(flags: Readonly<Record<string, string>>, values: FlagValues): Promise<number> {
  const admissionFlag = Object.keys(values).find((f) => f !== 'admission' && Object.hasOwn(ADMISSION_FLAGS, f));
  if (values.admission !== true && admissionFlag) {
    process.stderr.write(`attestd serve: --${admissionFlag} applies to the admission webhook: add --admission\n`);
    return 2;
  }
  const config = loadConfig(process.env, flags);
  const logger = createLogger(config.logLevel);
  if (cluster.isPrimary) {
    let count: number;
    try {
      const admission = values.admission === true ? loadAdmissionConfig(process.env, flags) : undefined;
      count = serveWorkerCount(config, admission);
      // Secrets a first start makes in DATA_DIR (token key, master key) are made once, before any fork.
      if (count > 1) {
        loadEdgeSettings(config, logger);
        loadMasterKey({ masterKey: config.masterKey, masterKeyFile: config.masterKeyFile, dataDir: config.dataDir, logger });
      }
    } catch (err) {
      process.stderr.write(`attestd: ${(err as Error).message}\n`);
      return 1;
    }
    if (count > 1) return runServeGroup(count, logger);
  }
  let server;
  try {
    const admission = values.admission === true ? loadAdmissionConfig(process.env, flags) : undefined;
    server = await startServer(config, logger, {
      admission,
      background: workerIndex() === 0,
      // Each worker reports in under its own name with the decisions it served (ADR 0070).
      adapterName: cluster.isWorker ? groupAdapterName() : undefined,
    });
    if (server.admission && workerIndex() === 0) printCaBundle(server.admission);
    reportReady();
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'attestd could not start');
    reportStartFailure((err as Error).message);
    return 1;
  }
  const running = server;
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string): void => {
      logger.info({ signal }, 'signal received');
      running.stop().then(resolve, (err) => {
        logger.error({ err }, 'error while stopping');
        resolve();
      });
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  leaveGroup();
  return 0;
}

/**
 * `attestd admission`, as one process or as the primary of `--workers N` processes on one port (node:cluster).
 * Each worker reports in to attestd under its own name (host/worker-N) with the decisions it served.
 */
async function admission(flags: Readonly<Record<string, string>>): Promise<number> {
  if (cluster.isPrimary) {
    let count: number;
    try {
      count = admissionWorkerCount(loadConfig(process.env, flags), loadAdmissionConfig(process.env, flags));
    } catch (err) {
      process.stderr.write(`attestd admission: ${(err as Error).message}\n`);
      return 1;
    }
    if (count > 1) return runServeGroup(count, createLogger(loadConfig(process.env, flags).logLevel));
    return admissionCommand(flags);
  }
  return admissionCommand(flags, {
    adapter: groupAdapterName(),
    serving: reportReady,
    startFailed: reportStartFailure,
    stopped: leaveGroup,
  });
}

/** The name a worker of a group reports in to attestd under: the host's and its index. */
function groupAdapterName(): string {
  return `${os.hostname()}/worker-${workerIndex()}`;
}

async function migrate(flags: Readonly<Record<string, string>>): Promise<number> {
  const config = loadConfig(process.env, flags);
  const logger = createLogger(config.logLevel);
  const stores = await createStores(config, logger, { migrate: true, pageTokens: 'ephemeral' });
  const { applied } = stores;
  await stores.close();
  logger.info({ applied }, applied.length ? 'migrations applied' : 'database already up to date');
  return 0;
}
