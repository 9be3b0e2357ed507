import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/main';

// The attestd under test, as its own process (so the load generator and the baselines do not share its
// CPU time, and its RSS is measurable): configured from the environment like `attestd serve`; it reports
// its ports over IPC and stops on "stop" or SIGTERM.
async function main(): Promise<void> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const server = await startServer(loadConfig(process.env), logger);
  const stop = async (): Promise<void> => {
    await server.stop();
    process.exit(0);
  };
  process.on('message', (m) => void (m === 'stop' && stop()));
  process.on('SIGTERM', () => void stop());
  process.send?.({ httpPort: server.httpPort, grpcPort: server.grpcPort });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
