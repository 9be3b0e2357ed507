import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { loadConfig, type AdmissionConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/main';
import { defaultBackend, type TestBackend } from './test-database';

/** The HMAC secret every test server verifies tokens with. */
export const TEST_JWT_SECRET = 'attestd-test-secret-0123456789-abcdefghijklmnop';

/** Mints a token for the test servers: roles per project (`*` = all), one hour. */
export function testToken(roles: Record<string, string[]> = { '*': ['admin'] }, subject = 'test-admin'): string {
  return jwt.sign({ roles }, TEST_JWT_SECRET, { algorithm: 'HS256', audience: 'attestd', subject, expiresIn: '1h' });
}

/** A running attestd on loopback with ephemeral ports, on a fresh scratch database. */
export interface TestServer extends RunningServer {
  readonly baseUrl: string;
  readonly grpcAddress: string;
  /** An admin token for this server. */
  readonly adminToken: string;
}

/** Starts attestd on a new scratch database of `backend` (default: the real Postgres when configured). */
export async function startTestServer(
  options: { backend?: TestBackend; env?: Record<string, string>; databaseUrl?: string; admission?: AdmissionConfig } = {},
): Promise<TestServer> {
  const databaseUrl = options.databaseUrl ?? (await (options.backend ?? defaultBackend()).createDatabase());
  // A private DATA_DIR (master key, audit anchors) unless the test brings its own; removed on stop.
  const ownDataDir = options.env?.DATA_DIR === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-test-data-')) : undefined;
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    ...(ownDataDir ? { DATA_DIR: ownDataDir } : {}),
    HOST: '127.0.0.1',
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: 'silent',
    SHUTDOWN_GRACE_MS: '2000',
    JWT_SECRET: TEST_JWT_SECRET,
    ADMISSION_PORT: '0',
    ...options.env,
  });
  const server = await startServer(config, silentLogger(), { admission: options.admission });
  return {
    ...server,
    stop: async () => {
      await server.stop();
      if (ownDataDir) fs.rmSync(ownDataDir, { recursive: true, force: true });
    },
    baseUrl: `http://127.0.0.1:${server.httpPort}`,
    grpcAddress: `127.0.0.1:${server.grpcPort}`,
    adminToken: testToken(),
  };
}
