import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import * as net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runAttestd } from '../support/run-attestd';
import { embeddedPostgres, realPostgres } from '../support/test-database';
import { TEST_JWT_SECRET } from '../support/test-server';

// Bad settings and an unusable database at start: `attestd serve` and `attestd migrate` print one line on stderr
// that names the variable and what to fix, exit non-zero, and never hang (runAttestd gives up after 30 s). No
// message repeats a password.

const PASSWORD = 'pw-never-printed';

/** A port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A server that accepts connections and never answers (a hung or firewalled database). */
function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve) => {
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

describe('start-up faults: one clear line and a non-zero exit', function () {
  this.timeout(120_000);
  let dataDir: string;
  let silent: { port: number; close(): Promise<void> };

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-startup-'));
    silent = await silentServer();
  });
  after(async () => {
    await silent.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const env = (settings: Record<string, string>): Record<string, string> => ({
    HOST: '127.0.0.1',
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    ...settings,
  });

  /** Runs the command and returns its one stderr line, after checking the exit code and that nothing leaked. */
  async function failsWith(args: string[], settings: Record<string, string>): Promise<string> {
    const run = await runAttestd(args, env(settings));
    expect(run.code, run.stderr + run.stdout).to.equal(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines, run.stderr).to.have.length(1);
    expect(run.stderr + run.stdout).not.to.include(PASSWORD);
    return lines[0]!;
  }

  it('DATABASE_URL that is not a URL, or not a postgres:// one', async () => {
    expect(await failsWith(['serve'], { DATABASE_URL: `not a url ${PASSWORD}` })).to.equal(
      'attestd: DATABASE_URL must be a postgres://user:password@host:5432/database URL, got a value that is not a URL',
    );
    expect(await failsWith(['serve'], { DATABASE_URL: `mysql://root:${PASSWORD}@127.0.0.1/attestd` })).to.equal(
      'attestd: DATABASE_URL must be a postgres://user:password@host:5432/database URL, got a mysql: URL',
    );
  });

  it('DATABASE_WAIT_SECONDS that is not a number of seconds', async () => {
    expect(await failsWith(['serve'], { DATABASE_WAIT_SECONDS: 'forever' })).to.equal(
      'attestd: DATABASE_WAIT_SECONDS must be an integer from 0 to 3600, got "forever"',
    );
  });

  it('a database that refuses connections: serve and migrate give up after DATABASE_WAIT_SECONDS', async () => {
    const port = await closedPort();
    for (const command of ['serve', 'migrate']) {
      const line = await failsWith([command], {
        DATABASE_URL: `postgres://attestd:${PASSWORD}@127.0.0.1:${port}/attestd`,
        DATABASE_WAIT_SECONDS: '2',
      });
      expect(line).to.match(
        new RegExp(
          `^attestd: DATABASE_URL: the database at 127\\.0\\.0\\.1:${port}/attestd did not accept connections within 2 s \\(DATABASE_WAIT_SECONDS\\): .*ECONNREFUSED`,
        ),
      );
    }
  });

  it('a database that accepts connections and never answers', async () => {
    const line = await failsWith(['serve'], {
      DATABASE_URL: `postgres://attestd:${PASSWORD}@127.0.0.1:${silent.port}/attestd`,
      DATABASE_WAIT_SECONDS: '3',
    });
    expect(line).to.match(/^attestd: DATABASE_URL: the database at 127\.0\.0\.1:\d+\/attestd did not accept connections within 3 s/);
  });

  it('a user the server does not know, and a database that does not exist', async () => {
    const backend = realPostgres() ?? embeddedPostgres();
    const url = new URL(await backend.createDatabase());
    const wrongUser = new URL(url);
    wrongUser.username = 'no_such_role';
    wrongUser.password = PASSWORD;
    expect(await failsWith(['serve'], { DATABASE_URL: wrongUser.href })).to.match(
      /^attestd: DATABASE_URL: the database at .+ refused the login: .*no_such_role.*; fix the user or password$/,
    );
    const wrongDb = new URL(url);
    wrongDb.pathname = '/no_such_database';
    expect(await failsWith(['serve'], { DATABASE_URL: wrongDb.href })).to.match(
      /^attestd: DATABASE_URL: database "no_such_database" does not exist on the database at .+; create it or fix the database name$/,
    );
  });

  it('MASTER_KEY or MASTER_KEY_FILE of the wrong length fails before the database is tried', async () => {
    // The database would be waited for far longer than runAttestd allows: the key is checked first.
    const database = { DATABASE_URL: `postgres://attestd@127.0.0.1:${silent.port}/attestd`, DATABASE_WAIT_SECONDS: '600' };
    const short = crypto.randomBytes(16).toString('base64');
    expect(await failsWith(['serve'], { ...database, MASTER_KEY: short })).to.equal(
      'attestd: MASTER_KEY must be the base64 encoding of exactly 32 random bytes (e.g. `openssl rand -base64 32`)',
    );
    const file = path.join(dataDir, 'short.key');
    fs.writeFileSync(file, `${short}\n`);
    expect(await failsWith(['serve'], { ...database, MASTER_KEY_FILE: file })).to.equal(
      `attestd: MASTER_KEY_FILE ${file} must be the base64 encoding of exactly 32 random bytes (e.g. \`openssl rand -base64 32\`)`,
    );
  });
});
