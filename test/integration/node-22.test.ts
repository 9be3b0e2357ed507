import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as readline from 'node:readline';
import { expect } from 'chai';
import { AttestdProcess } from '../support/attestd-process';
import { digest } from '../support/api-client';
import { runAttestd } from '../support/run-attestd';
import { embeddedPostgres, realPostgres } from '../support/test-database';
import { TEST_JWT_SECRET, testToken } from '../support/test-server';

const ROOT = path.join(__dirname, '..', '..', '..');

/** The Node 22 binary `scripts/use-node.sh 22` keeps (fetched from the npm registry once), or why there is none. */
function node22(): { node: string } | { error: string } {
  const r = spawnSync(path.join(ROOT, 'scripts/use-node.sh'), ['22', 'node', '-p', 'process.execPath'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return r.status === 0 ? { node: r.stdout.trim() } : { error: `${r.stderr}${r.error?.message ?? ''}`.trim() };
}

// package.json's engines promise Node 22 (≥ 22.13) as well as 24, on which CI runs everything else: the compiled
// server, its migrations and the CLI run here on the pinned Node 22 release.
describe('on Node 22, the older LTS line package.json supports', function () {
  this.timeout(360_000);
  let node = '';
  let attestd: AttestdProcess | undefined;
  let databaseUrl = '';
  let dataDir = '';

  before(async function () {
    const found = node22();
    if ('error' in found) {
      if (process.env.CI === 'true') throw new Error(`scripts/use-node.sh 22 could not provide Node 22: ${found.error}`);
      console.warn(`\n  !!! SKIPPED: no Node 22 (scripts/use-node.sh 22 fetches it from the npm registry): ${found.error}\n`);
      this.skip();
    }
    node = found.node;
    databaseUrl = await (realPostgres() ?? embeddedPostgres()).createDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-node22-'));
  });
  after(async () => {
    await attestd?.terminate();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('is Node 22, at or above the engines floor', () => {
    const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    expect(version).to.match(/^v22\.(\d+)\./);
    expect(Number(version.split('.')[1])).to.be.at.least(13);
    const engines = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).to.match(/\^22\.13/);
  });

  it('`attestd migrate` applies the migrations', async () => {
    const r = await runAttestd(['migrate'], { DATABASE_URL: databaseUrl, DATA_DIR: dataDir }, { node });
    expect(r.code, `${r.stdout}${r.stderr}`).to.equal(0);
    expect(r.stdout).to.contain('migrations applied');
  });

  it('`attestd serve` is ready, takes a Grafeas write and reads it back, and drains on SIGTERM', async () => {
    attestd = new AttestdProcess({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, WORKERS: '1' }, { node });
    const base = await attestd.baseUrl();
    expect((await fetch(`${base}/readyz`)).status).to.equal(200);
    const headers = { authorization: `Bearer ${testToken()}`, 'content-type': 'application/json' };
    const post = async (p: string, body: unknown) => {
      const res = await fetch(base + p, { method: 'POST', headers, body: JSON.stringify(body) });
      expect(res.status, await res.clone().text()).to.equal(200);
      return (await res.json()) as Record<string, unknown>;
    };
    await post('/v1/projects', { name: 'projects/n22' });
    await post('/v1/projects/n22/notes?noteId=reviewed', { attestation: { hint: { humanReadableName: 'reviewed' } } });
    const resourceUri = `https://registry.example.com/team/app@${digest('node22')}`;
    const created = await post('/v1/projects/n22/occurrences', {
      noteName: 'projects/n22/notes/reviewed',
      resourceUri,
      attestation: { serializedPayload: 'e30=', signatures: [{ publicKeyId: 'k', signature: 'c2ln' }] },
    });
    const read = await fetch(`${base}/v1/${String(created.name)}`, { headers });
    expect(await read.json()).to.deep.include({ name: created.name, resourceUri, noteName: 'projects/n22/notes/reviewed' });
    expect(await attestd.terminate()).to.equal(0);
  });

  it('`npm start` builds the production tree (no tests, no bench) and serves', async () => {
    // A user's checkout: the sources npm start builds from, with this checkout's installed dependencies.
    const checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-npm-start-'));
    try {
      for (const entry of [
        'package.json',
        'tsconfig.json',
        'tsconfig.production.json',
        'bin',
        'src',
        'migrations',
        'proto',
        'console',
        'scripts',
      ])
        fs.cpSync(path.join(ROOT, entry), path.join(checkout, entry), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules'));
      const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}` };
      delete env.TEST_DATABASE_URL;
      Object.assign(env, {
        DATABASE_URL: databaseUrl,
        DATA_DIR: path.join(dataDir, 'npm-start'),
        HOST: '127.0.0.1',
        HTTP_PORT: '0',
        GRPC_PORT: '0',
      });
      Object.assign(env, { JWT_SECRET: TEST_JWT_SECRET, WORKERS: '1', LOG_LEVEL: 'info' });
      // npm, and the scripts it runs, find Node 22 first.
      expect(spawnSync('node', ['--version'], { env, encoding: 'utf8' }).stdout).to.match(/^v22\./);
      const npm = spawn('npm', ['start'], { cwd: checkout, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
      const output: string[] = [];
      npm.stderr.on('data', (b: Buffer) => output.push(b.toString('utf8')));
      try {
        const port = await new Promise<number>((resolve, reject) => {
          readline.createInterface({ input: npm.stdout }).on('line', (line) => {
            output.push(line);
            const entry = /^\{/.test(line) ? (JSON.parse(line) as { msg?: string; httpPort?: number }) : {};
            if (entry.msg === 'attestd serving' && typeof entry.httpPort === 'number') resolve(entry.httpPort);
          });
          void exited.then((code) => reject(new Error(`npm start exited (${code}) before serving:\n${output.join('\n')}`)));
        });
        expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(200);
        const served = await (
          await fetch(`http://127.0.0.1:${port}/v1/projects`, { headers: { authorization: `Bearer ${testToken()}` } })
        ).json();
        expect(served).to.have.property('projects');
        expect(fs.existsSync(path.join(checkout, 'dist', 'src', 'cli', 'main.js'))).to.equal(true);
        expect(fs.existsSync(path.join(checkout, 'dist', 'test'))).to.equal(false);
        expect(fs.existsSync(path.join(checkout, 'dist', 'bench'))).to.equal(false);
      } finally {
        process.kill(-npm.pid!, 'SIGTERM');
        await exited;
      }
    } finally {
      fs.rmSync(checkout, { recursive: true, force: true });
    }
  });
});
