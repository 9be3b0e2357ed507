import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/main';
import { defaultBackend, type TestBackend } from './test-database';

/** A running attestd on loopback with ephemeral ports, on a fresh scratch database. */
export interface TestServer extends RunningServer {
  readonly baseUrl: string;
  readonly grpcAddress: string;
}

/** Starts attestd on a new scratch database of `backend` (default: the real Postgres when configured). */
export async function startTestServer(
  options: { backend?: TestBackend; env?: Record<string, string>; databaseUrl?: string } = {},
): Promise<TestServer> {
  const databaseUrl = options.databaseUrl ?? (await (options.backend ?? defaultBackend()).createDatabase());
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: 'silent',
    SHUTDOWN_GRACE_MS: '2000',
    ...options.env,
  });
  const server = await startServer(config, silentLogger());
  return {
    ...server,
    baseUrl: `http://127.0.0.1:${server.httpPort}`,
    grpcAddress: `127.0.0.1:${server.grpcPort}`,
  };
}
