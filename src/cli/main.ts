import { loadConfig, parseFlags } from '../config';
import { createLogger } from '../logger';
import { connectDatabase, startServer } from '../main';
import { migrateLatest } from '../store/database';
import { auditCommand } from './audit-command';
import { tokenCommand } from './token-command';

const USAGE = `usage: attestd <command> [flags]

commands:
  serve      run the REST and gRPC metadata service (embedded database unless DATABASE_URL is set)
  migrate    apply database migrations and exit
  audit      audit verify [--project P]: check the audit hash chains and their anchors
  token      token create --sub S --role R [--project P] [--ttl 24h]: mint a bearer token

Configuration comes from the environment (DATABASE_URL, DATA_DIR, HOST, HTTP_PORT, GRPC_PORT, LOG_LEVEL, ...);
a flag of the same name overrides it, e.g. --http-port 8081.`;

/** The attestd command line; resolves the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { flags } = parseFlags(rest);
  switch (command) {
    case 'serve':
      return serve(flags);
    case 'migrate':
      return migrate(flags);
    case 'audit':
      return auditCommand(rest);
    case 'token':
      return tokenCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`attestd: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

async function serve(flags: Record<string, string>): Promise<number> {
  const config = loadConfig(process.env, flags);
  const logger = createLogger(config.logLevel);
  let server;
  try {
    server = await startServer(config, logger);
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'attestd could not start');
    process.stderr.write(`attestd: ${(err as Error).message}\n`);
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
  return 0;
}

async function migrate(flags: Record<string, string>): Promise<number> {
  const config = loadConfig(process.env, flags);
  const logger = createLogger(config.logLevel);
  const { knex, embedded } = await connectDatabase(config, logger);
  try {
    const applied = await migrateLatest(knex);
    logger.info({ applied }, applied.length ? 'migrations applied' : 'database already up to date');
    return 0;
  } finally {
    await knex.destroy();
    await embedded?.stop();
  }
}
