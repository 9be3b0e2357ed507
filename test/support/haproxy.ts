import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './free-port';

/** A server haproxy forwards to; `checkPort` set: a server is up while GET `checkPath` there answers 200. */
export interface HaproxyServer {
  readonly name: string;
  readonly port: number;
  readonly checkPort?: number;
}

/** A running haproxy (Debian's), foreground, with its config in a temp dir. */
export interface Haproxy {
  readonly port: number;
  stop(): Promise<void>;
}

/** True when Debian's haproxy is installed. */
export function haproxyInstalled(): boolean {
  return spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts haproxy on 127.0.0.1: `http` balances requests round robin across the servers (every request may land
 * on another); `tcp` with `checkPath` routes connections to the one server whose health check answers 200
 * (Patroni's usual recipe: `GET /primary` on its REST port), fast checks, sessions on a server marked down cut.
 */
export async function startHaproxy(o: { mode: 'http' | 'tcp'; servers: readonly HaproxyServer[]; checkPath?: string }): Promise<Haproxy> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-haproxy-'));
  const servers = o.servers.map((s) =>
    o.checkPath
      ? `  server ${s.name} 127.0.0.1:${s.port} maxconn 100 check port ${s.checkPort ?? s.port} inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions`
      : `  server ${s.name} 127.0.0.1:${s.port}`,
  );
  const config = [
    'global',
    '  maxconn 1000',
    'defaults',
    `  mode ${o.mode}`,
    '  timeout connect 2s',
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout check 1s',
    o.mode === 'http' ? '  option http-server-close' : '',
    'frontend front',
    `  bind 127.0.0.1:${port}`,
    '  default_backend back',
    'backend back',
    '  balance roundrobin',
    ...(o.checkPath
      ? [`  option httpchk GET ${o.checkPath}`, '  http-check expect status 200', '  default-server on-marked-up shutdown-backup-sessions']
      : []),
    ...servers,
    '',
  ].join('\n');
  const file = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(file, config);
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Ready once the frontend accepts connections.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`haproxy exited at start:\n${stderr}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (i > 100) throw new Error(`haproxy did not listen on ${port}:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
