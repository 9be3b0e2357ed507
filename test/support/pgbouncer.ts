import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './free-port';

/** A running pgbouncer (Debian's) in transaction pooling mode, foreground, with its config in a temp dir. */
export interface Pgbouncer {
  readonly port: number;
  /** `databaseUrl` with its host and port swapped for the pooler's (no password: clients log in by trust). */
  url(databaseUrl: string): string;
  /** Its admin console (SHOW POOLS, SHOW CONFIG, …). */
  readonly adminUrl: string;
  stop(): Promise<void>;
}

/** True when Debian's pgbouncer is installed. */
export function pgbouncerInstalled(): boolean {
  return spawnSync('pgbouncer', ['--version'], { stdio: 'ignore' }).status === 0;
}

const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Starts pgbouncer on 127.0.0.1 in front of the server of `upstreamUrl` (any database on it, logging in
 * upstream as that URL's user): `pool_mode = transaction` with at most `poolSize` server connections per
 * database, clients by trust. Runs as the postgres user when we are root (pgbouncer refuses root).
 */
export async function startPgbouncer(upstreamUrl: string, poolSize: number): Promise<Pgbouncer> {
  const port = await freePort();
  const up = new URL(upstreamUrl);
  const user = decodeURIComponent(up.username || 'postgres');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-pgbouncer-'));
  const upstream = [
    `host=${up.hostname}`,
    `port=${up.port || '5432'}`,
    `user=${user}`,
    ...(up.password ? [`password=${quote(decodeURIComponent(up.password))}`] : []),
  ].join(' ');
  fs.writeFileSync(path.join(dir, 'users.txt'), `"${user}" ""\n`);
  fs.writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = ${upstream}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      `admin_users = ${user}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 500',
      '',
    ].join('\n'),
  );
  const root = process.getuid?.() === 0;
  if (root) {
    const pg = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const uid = Number(pg.stdout.trim());
    fs.chownSync(dir, uid, uid);
    for (const f of fs.readdirSync(dir)) fs.chownSync(path.join(dir, f), uid, uid);
  }
  const child: ChildProcess = spawn('pgbouncer', [...(root ? ['-u', 'postgres'] : []), path.join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited at start:\n${log}`);
    const listening = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (listening) break;
    if (i > 100) throw new Error(`pgbouncer did not listen on ${port}:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = (databaseUrl: string) => {
    const u = new URL(databaseUrl);
    u.hostname = '127.0.0.1';
    u.port = String(port);
    u.password = '';
    return u.toString();
  };
  return {
    port,
    url,
    adminUrl: `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/pgbouncer`,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
