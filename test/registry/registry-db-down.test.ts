import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, testToken, type TestServer } from '../support/test-server';
import { freePort } from '../support/free-port';
import { call, fixtureText, poll, setUpSigning } from './registry-support';

// The database goes away under a running attestd while a registry posts: the hook fails with a 5xx
// (so the registry retries the same event) and acknowledges nothing it did not store; once the
// database is back the retried event is accepted as new and signed. Runs on a private PostgreSQL
// cluster (Debian's initdb/pg_ctl, as the postgres user when root); the shared server is untouched.

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const P = 'dbdown';
const HOOK = `/v1/projects/${P}/hooks/distribution`;
const DIST_TYPE = 'application/vnd.docker.distribution.events.v1+json';

function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const v of versions) {
    const bin = path.join(root, v, 'bin');
    if (['initdb', 'pg_ctl', 'postgres'].every((p) => fs.existsSync(path.join(bin, p)))) return bin;
  }
  return undefined;
}

class Cluster {
  constructor(
    readonly bin: string,
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async tool(program: string, args: string[]): Promise<void> {
    const exe = path.join(this.bin, program);
    const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
    try {
      await run(cmd, argv, { cwd: this.dir, timeout: 120_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${program} failed: ${e.message}\n${e.stderr ?? ''}`);
    }
  }

  static async create(bin: string): Promise<Cluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-registry-dbdown-'));
    fs.chmodSync(dir, 0o755);
    if (isRoot) {
      const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
      fs.chownSync(dir, uid, gid);
    }
    const c = new Cluster(bin, dir, await freePort());
    await c.tool('initdb', [
      `--pgdata=${path.join(dir, 'pg')}`,
      '--username=postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-instructions',
      '--no-sync',
    ]);
    return c;
  }

  start(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
    return this.tool('pg_ctl', [
      'start',
      '-D',
      path.join(this.dir, 'pg'),
      '-w',
      '-t',
      '60',
      '-l',
      path.join(this.dir, 'log'),
      '-o',
      options,
    ]);
  }

  stop(): Promise<void> {
    return this.tool('pg_ctl', ['stop', '-D', path.join(this.dir, 'pg'), '-m', 'immediate', '-w', '-t', '60']);
  }

  async destroy(): Promise<void> {
    if (fs.existsSync(path.join(this.dir, 'pg', 'postmaster.pid'))) await this.stop().catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('registry hook while the database is down', function () {
  this.timeout(180_000);
  let cluster: Cluster | undefined;
  let server: TestServer | undefined;

  before(async function () {
    const bin = postgresBin();
    if (!bin) {
      if (process.env.CI === 'true') throw new Error('initdb/pg_ctl not found under /usr/lib/postgresql (CI=true)');
      console.warn('\n  !!! SKIPPING the registry database-down test: no initdb/pg_ctl under /usr/lib/postgresql\n');
      this.skip();
    }
    cluster = await Cluster.create(bin);
    await cluster.start();
    server = await startTestServer({ databaseUrl: cluster.url });
    await setUpSigning(server.baseUrl, server.adminToken, { project: P, witness: 'w', rule: 'kritis-demo' });
  });

  after(async () => {
    await server?.stop().catch(() => undefined);
    await cluster?.destroy();
  });

  it('fails the hook with a 5xx while down, stores nothing, and accepts and signs the retried event once back', async () => {
    const token = testToken({ [P]: ['attestor'] }, 'docker-registry');
    const envelope = fixtureText('distribution-push-manifest.raw.json');
    await cluster!.stop();
    for (let i = 0; i < 3; i++) {
      const r = await call(server!.baseUrl, token, 'POST', HOOK, envelope, DIST_TYPE);
      expect(r.status, JSON.stringify(r.body)).to.equal(503);
      expect(r.body.error.status).to.equal('UNAVAILABLE');
      expect(r.ms, 'fails fast, within the registry timeout').to.be.below(5000);
    }
    await cluster!.start();
    const retried = await poll('the hook to work again', 60_000, async () => {
      const r = await call(server!.baseUrl, token, 'POST', HOOK, envelope, DIST_TYPE);
      return r.status === 200 ? r : undefined;
    });
    expect(retried.body, 'the failed deliveries left nothing behind: the retry is new, not a duplicate').to.include({
      received: 1,
      accepted: 1,
      duplicates: 0,
    });
    const signed = await poll('the event to be signed', 30_000, async () => {
      const list = await call(
        server!.baseUrl,
        server!.adminToken,
        'GET',
        `/v1/projects/${P}/hookEvents?filter=${encodeURIComponent('status = "SIGNED"')}`,
      );
      return list.status === 200 ? list.body.hookEvents?.[0] : undefined;
    });
    expect(signed.eventId).to.equal('b09ce6d8-8af7-4fea-9781-855d7a10ed26');
    const again = await call(server!.baseUrl, token, 'POST', HOOK, envelope, DIST_TYPE);
    expect(again.body).to.include({ duplicates: 1 });
  });
});
