import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { AttestdProcess } from '../support/attestd-process';
import { digest } from '../support/api-client';
import { runAttestd } from '../support/run-attestd';
import { embeddedPostgres, realPostgres } from '../support/test-database';
import { testToken } from '../support/test-server';

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
});
