import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './free-port';

// Postgres high availability as platforms run it, on one machine (Debian's patroni, etcd-server and Postgres 15):
// a single-node etcd on 127.0.0.1 and Patroni nodes, each with its own Postgres port, data directory and REST
// port, synchronous replication in strict mode. Patroni runs as the postgres user when we are root (Postgres
// refuses root), started with setpriv so the process we hold is Patroni itself.

/** Where Debian's Postgres 15 keeps its programs. */
const PG_BIN = '/usr/lib/postgresql/15/bin';

/** What is missing to run a Patroni cluster here, or undefined when everything is installed. */
export function patroniMissing(): string | undefined {
  const missing = [
    ['patroni', ['--version']],
    ['etcd', ['--version']],
    ['/usr/bin/python3', ['-c', 'import etcd']],
  ]
    .filter(([cmd, args]) => spawnSync(cmd as string, args as string[], { stdio: 'ignore' }).status !== 0)
    .map(([cmd]) => (cmd === '/usr/bin/python3' ? 'python3-etcd' : (cmd as string)));
  if (!fs.existsSync(path.join(PG_BIN, 'postgres'))) missing.push(`${PG_BIN}/postgres (postgresql-15)`);
  return missing.length > 0 ? missing.join(', ') : undefined;
}

/** One Patroni node: its Postgres port, its REST API port, its data directory. */
export interface PatroniNode {
  readonly name: string;
  readonly pgPort: number;
  readonly restPort: number;
  readonly dataDir: string;
}

/** A member as Patroni's GET /cluster lists it. */
interface Member {
  readonly name: string;
  readonly role: string;
  readonly state: string;
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  } catch {
    return { status: 0, body: undefined };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running etcd plus Patroni nodes; `stop` shuts them down (Patroni stops its Postgres) and removes every file. */
export class PatroniCluster {
  private readonly patronis = new Map<string, ChildProcess>();
  private readonly logs = new Map<string, string>();

  private constructor(
    readonly dir: string,
    readonly nodes: readonly PatroniNode[],
    private readonly etcd: ChildProcess,
  ) {}

  /** Starts etcd and `count` Patroni nodes and waits until one leads with a streaming synchronous standby. */
  static async start(count: number): Promise<PatroniCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-patroni-'));
    fs.chmodSync(dir, 0o755);
    const [etcdClient, etcdPeer] = [await freePort(), await freePort()];
    const etcd = spawn(
      'etcd',
      [
        '--name=e',
        `--data-dir=${path.join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=e=http://127.0.0.1:${etcdPeer}`,
        '--log-level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const nodes: PatroniNode[] = [];
    for (let i = 1; i <= count; i++) {
      nodes.push({ name: `pg${i}`, pgPort: await freePort(), restPort: await freePort(), dataDir: path.join(dir, `pg${i}`, 'data') });
    }
    const cluster = new PatroniCluster(dir, nodes, etcd);
    etcd.stderr.on('data', (d: Buffer) => cluster.keep('etcd', d.toString()));
    for (let i = 0; (await getJson(`http://127.0.0.1:${etcdClient}/health`)).status !== 200; i++) {
      if (etcd.exitCode !== null || i > 100) throw new Error(`etcd did not start:\n${cluster.log('etcd')}`);
      await sleep(100);
    }
    const scope = `attestd-${crypto.randomBytes(4).toString('hex')}`;
    const ids = isRoot() ? postgresIds() : undefined;
    for (const node of nodes) {
      const home = path.dirname(node.dataDir);
      fs.mkdirSync(home, { mode: 0o700 });
      const config = {
        scope,
        name: node.name,
        restapi: { listen: `127.0.0.1:${node.restPort}`, connect_address: `127.0.0.1:${node.restPort}` },
        etcd3: { host: `127.0.0.1:${etcdClient}` },
        log: { level: 'WARNING' },
        bootstrap: {
          dcs: {
            ttl: 10,
            loop_wait: 1,
            retry_timeout: 4,
            maximum_lag_on_failover: 1048576,
            synchronous_mode: true,
            synchronous_mode_strict: true,
            // A killed primary is handed over to the synchronous standby, not restarted in place.
            primary_start_timeout: 0,
            postgresql: {
              use_pg_rewind: true,
              use_slots: true,
              parameters: { wal_log_hints: 'on', wal_retrieve_retry_interval: '1s', max_connections: 100, max_wal_senders: 10 },
            },
          },
          initdb: [{ encoding: 'UTF8' }, { locale: 'C' }, { auth: 'trust' }],
        },
        postgresql: {
          listen: `127.0.0.1:${node.pgPort}`,
          connect_address: `127.0.0.1:${node.pgPort}`,
          data_dir: node.dataDir,
          bin_dir: PG_BIN,
          pgpass: path.join(home, 'pgpass'),
          authentication: {
            superuser: { username: 'postgres', password: 'postgres' },
            replication: { username: 'replicator', password: 'replicator' },
            rewind: { username: 'postgres', password: 'postgres' },
          },
          parameters: { unix_socket_directories: home },
          pg_hba: ['local all all trust', 'host all all 127.0.0.1/32 trust', 'host replication all 127.0.0.1/32 trust'],
        },
      };
      // JSON is YAML.
      const file = path.join(home, 'patroni.yml');
      fs.writeFileSync(file, JSON.stringify(config, null, 2));
      if (ids) {
        fs.chownSync(home, ids.uid, ids.gid);
        fs.chownSync(file, ids.uid, ids.gid);
      }
      const child = ids
        ? spawn('setpriv', [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--init-groups', 'patroni', file], {
            cwd: home,
            env: { PATH: process.env.PATH ?? '', HOME: home },
            stdio: ['ignore', 'pipe', 'pipe'],
          })
        : spawn('patroni', [file], { cwd: home, env: { PATH: process.env.PATH ?? '', HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d: Buffer) => cluster.keep(node.name, d.toString()));
      child.stderr.on('data', (d: Buffer) => cluster.keep(node.name, d.toString()));
      cluster.patronis.set(node.name, child);
    }
    try {
      await cluster.waitHealthy(180_000);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** The members as Patroni's GET /cluster lists them (asked of any node that answers). */
  async members(): Promise<Member[]> {
    for (const node of this.nodes) {
      const { status, body } = await getJson(`http://127.0.0.1:${node.restPort}/cluster`);
      if (status === 200) return (body as { members?: Member[] }).members ?? [];
    }
    return [];
  }

  /** The node whose REST API answers 200 on /primary (what haproxy routes to), if any. */
  async primary(): Promise<PatroniNode | undefined> {
    for (const node of this.nodes) {
      if ((await getJson(`http://127.0.0.1:${node.restPort}/primary`)).status === 200) return node;
    }
    return undefined;
  }

  /** Waits until one member leads and a synchronous standby runs (strict mode commits need one). */
  async waitHealthy(ms: number): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      const members = await this.members();
      const leader = members.find((m) => m.role === 'leader' && m.state === 'running');
      const sync = members.find((m) => m.role === 'sync_standby' && (m.state === 'running' || m.state === 'streaming'));
      if (leader && sync && (await this.primary())) return;
      if (Date.now() > until) {
        throw new Error(
          `the Patroni cluster did not become healthy: ${JSON.stringify(members)}\n${this.nodes.map((n) => this.log(n.name)).join('\n')}`,
        );
      }
      for (const [name, child] of this.patronis) {
        if (child.exitCode !== null) throw new Error(`patroni ${name} exited (${child.exitCode}):\n${this.log(name)}`);
      }
      await sleep(500);
    }
  }

  /** SIGKILLs the postmaster of `node` (read from its postmaster.pid); returns its pid. */
  killPostmaster(node: PatroniNode): number {
    const pid = postmasterPid(node);
    if (pid === undefined) throw new Error(`no postmaster runs for ${node.name}`);
    process.kill(pid, 'SIGKILL');
    return pid;
  }

  /** The last lines Patroni (or etcd) printed, for failure messages. */
  log(name: string): string {
    return `--- ${name} ---\n${(this.logs.get(name) ?? '').slice(-3000)}`;
  }

  /** Stops every Patroni (each stops its Postgres), then etcd; removes every file. */
  async stop(): Promise<void> {
    await Promise.all(
      [...this.patronis.entries()].map(async ([name, child]) => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          await exited;
          clearTimeout(timer);
        }
        // A Postgres Patroni could not stop (it was killed first) is stopped through its postmaster.pid.
        const node = this.nodes.find((n) => n.name === name)!;
        const pid = postmasterPid(node);
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
      }),
    );
    if (this.etcd.exitCode === null) {
      const exited = new Promise((r) => this.etcd.once('exit', r));
      this.etcd.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private keep(name: string, text: string): void {
    const log = (this.logs.get(name) ?? '') + text;
    this.logs.set(name, log.length > 20_000 ? log.slice(-20_000) : log);
  }
}

/** The pid in the node's postmaster.pid, when that process is a postgres serving this data directory. */
function postmasterPid(node: PatroniNode): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(node.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('postgres') && cmdline.includes(node.dataDir) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}
