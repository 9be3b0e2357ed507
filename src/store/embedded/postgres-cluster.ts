import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../../logger';
import { EmbeddedDatabaseError } from './embedded-database-error';
import type { PostgresBinaries } from './postgres-binaries';
import type { PostgresUser } from './postgres-user';

// Layout of DATA_DIR:
//   pg/                 the PostgreSQL cluster (owned by the user PostgreSQL runs as)
//   postgres-password   the superuser password, 0600, owned by the attestd user
//   attestd.lock        see data-dir-lock.ts
// initdb writes into pg.initdb-tmp and the directory is renamed to pg only when complete, so a
// crash during the first start never leaves a half-made cluster that later starts would trust.
//
// Authentication: scram-sha-256 with a random password, for TCP and local sockets alike. The
// server only listens on 127.0.0.1, but "trust" would still let any local user connect as a
// superuser (and run programs as the server's user through COPY ... PROGRAM).

const PASSWORD_FILE = 'postgres-password';
const INITDB_TMP = 'pg.initdb-tmp';
const PWFILE_TMP = 'pg.pwfile-tmp';

/** Where a cluster lives and how to log in to it. */
export interface ClusterInfo {
  readonly pgDir: string;
  readonly password: string;
  /** True when this call ran initdb. */
  readonly created: boolean;
}

/** The environment PostgreSQL programs get: nothing of attestd's own (its secrets stay out of /proc/<pid>/environ). */
export function postgresEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };
  if (process.env.TZ !== undefined) env.TZ = process.env.TZ;
  return env;
}

/** Makes sure DATA_DIR/pg holds an initialised cluster and returns its superuser password. */
export async function ensureCluster(options: {
  dataDir: string;
  binaries: PostgresBinaries;
  user: PostgresUser;
  logger: Logger;
}): Promise<ClusterInfo> {
  const { dataDir, user } = options;
  const pgDir = path.join(dataDir, 'pg');
  const tmpDir = path.join(dataDir, INITDB_TMP);
  const pwTmp = path.join(dataDir, PWFILE_TMP);
  await fs.rm(tmpDir, { recursive: true, force: true });
  await fs.rm(pwTmp, { force: true });

  const state = await clusterState(pgDir);
  const password = await readOrCreatePassword(dataDir, pgDir, state === 'ready');
  if (state === 'ready') {
    const owner = (await fs.stat(pgDir)).uid;
    if (owner !== user.uid) {
      throw new EmbeddedDatabaseError(
        'DATA_DIR_INVALID',
        `${pgDir} is owned by uid ${owner} but PostgreSQL runs as ${user.name} (uid ${user.uid}); run chown -R ${user.uid}:${user.gid} ${pgDir}`,
      );
    }
    return { pgDir, password, created: false };
  }

  options.logger.info({ dataDir }, 'creating the embedded PostgreSQL cluster');
  await fs.mkdir(tmpDir, { mode: 0o700 });
  await fs.writeFile(pwTmp, `${password}\n`, { mode: 0o600 });
  try {
    if (user.switched) {
      await fs.chown(tmpDir, user.uid, user.gid);
      await fs.chown(pwTmp, user.uid, user.gid);
    }
    await runInitdb(options.binaries, tmpDir, pwTmp, dataDir, user);
  } finally {
    await fs.rm(pwTmp, { force: true });
  }
  await fs.rename(tmpDir, pgDir);
  await fsyncDir(dataDir);
  return { pgDir, password, created: true };
}

async function clusterState(pgDir: string): Promise<'absent' | 'ready'> {
  let entries: string[];
  try {
    entries = await fs.readdir(pgDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  if (entries.includes('PG_VERSION')) return 'ready';
  if (entries.length === 0) {
    await fs.rmdir(pgDir);
    return 'absent';
  }
  throw new EmbeddedDatabaseError(
    'DATA_DIR_INVALID',
    `${pgDir} exists but is not a PostgreSQL cluster (no PG_VERSION); move it away or choose another DATA_DIR`,
  );
}

async function readOrCreatePassword(dataDir: string, pgDir: string, clusterExists: boolean): Promise<string> {
  const file = path.join(dataDir, PASSWORD_FILE);
  try {
    const password = (await fs.readFile(file, 'utf8')).trim();
    if (password !== '') return password;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (clusterExists) {
    throw new EmbeddedDatabaseError(
      'DATA_DIR_INVALID',
      `${file} is missing or empty, so attestd cannot log in to the cluster in ${pgDir}; restore the file, or move ${pgDir} away to create a new, empty cluster`,
    );
  }
  const password = randomBytes(32).toString('hex');
  const tmp = `${file}.tmp`;
  await fs.writeFile(tmp, `${password}\n`, { mode: 0o600, flush: true });
  await fs.rename(tmp, file);
  await fsyncDir(dataDir);
  return password;
}

function runInitdb(binaries: PostgresBinaries, pgDir: string, pwFile: string, cwd: string, user: PostgresUser): Promise<void> {
  const args = [
    `--pgdata=${pgDir}`,
    '--username=postgres',
    `--pwfile=${pwFile}`,
    '--auth-local=scram-sha-256',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
    '--locale-provider=builtin',
    '--builtin-locale=C.UTF-8',
    '--no-instructions',
  ];
  const child = spawn(binaries.initdb, args, {
    cwd,
    env: postgresEnvironment(),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(user.switched ? { uid: user.uid, gid: user.gid } : {}),
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new EmbeddedDatabaseError('START_FAILED', `cannot run initdb: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new EmbeddedDatabaseError('START_FAILED', `initdb failed (${signal ?? `exit code ${code}`}): ${output.trim()}`));
    });
  });
}

/** Makes a rename inside dir durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
