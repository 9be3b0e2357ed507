import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { locatePostgresBinaries } from '../../src/store/embedded/postgres-binaries';
import { resolvePostgresUser } from '../../src/store/embedded/postgres-user';
import { isProcessAlive } from '../../src/store/embedded/process-info';
import { testToken } from '../support/test-server';
import { AttestdProcess } from '../support/attestd-process';
import { restCall, type RestReply } from '../support/rest-call';

// Crash safety of the embedded default, with attestd as a real OS process (`attestd serve`, no
// DATABASE_URL): kill -9 in the middle of batch writes, restart on the same DATA_DIR (stale lock,
// possibly an orphaned postgres), and every acknowledged occurrence is there; a second process on
// a data directory in use exits non-zero naming it; a page token survives a restart.

const PROJECT = 'crash';
const NOTE = `projects/${PROJECT}/notes/n`;
const BATCH = 200;
const WRITERS = 2;

function call(baseUrl: string, method: string, urlPath: string, body?: unknown): Promise<RestReply> {
  return restCall(baseUrl, testToken(), method, urlPath, body);
}

const resourceUri = (batch: number, item: number): string =>
  `https://r/crash/b${batch}/i${item}@sha256:${(batch * BATCH + item).toString(16).padStart(64, '0')}`;

function occurrence(batch: number, item: number): Record<string, unknown> {
  return {
    noteName: NOTE,
    resourceUri: resourceUri(batch, item),
    attestation: { serializedPayload: 'aGk=', signatures: [{ signature: 'c2ln', publicKeyId: 'k' }] },
  };
}

/** Every occurrence of the project (name → resourceUri), paging through the whole list. */
async function listOccurrences(baseUrl: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let token = '';
  for (let page = 0; page < 1000; page++) {
    const reply = await call(baseUrl, 'GET', `/v1/projects/${PROJECT}/occurrences?pageSize=1000&pageToken=${encodeURIComponent(token)}`);
    expect(reply.status, JSON.stringify(reply.body)).to.equal(200);
    for (const o of reply.body.occurrences ?? []) found.set(o.name, o.resourceUri);
    token = reply.body.nextPageToken ?? '';
    if (!token) return found;
  }
  throw new Error('too many pages');
}

/** The pid in DATA_DIR/pg/postmaster.pid, if any. */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Pids whose parent is ppid (from /proc). */
function childPids(ppid: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

async function waitUntilDead(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isProcessAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !isProcessAlive(pid);
}

describe('crash safety of attestd serve on the embedded database', function () {
  this.timeout(300_000);
  let baseDir: string;
  let dataDir: string;
  const processes: AttestdProcess[] = [];
  let current: AttestdProcess | undefined;

  function start(): AttestdProcess {
    const p = new AttestdProcess({ DATA_DIR: dataDir });
    processes.push(p);
    return p;
  }

  before(function () {
    try {
      locatePostgresBinaries();
      resolvePostgresUser();
    } catch (err) {
      const why = `the embedded PostgreSQL cannot run here: ${(err as Error).message}`;
      if (process.env.CI === 'true') throw new Error(`crash-safety test cannot run under CI=true: ${why}`);
      console.warn(`\n*** SKIPPING the crash-safety tests: ${why} ***\n`);
      this.skip();
    }
    baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-crash-'));
    fs.chmodSync(baseDir, 0o755); // as root, the postgres user must pass through it
    dataDir = path.join(baseDir, 'data');
  });

  after(async () => {
    for (const p of processes) await p.kill9().catch(() => undefined);
    // An orphaned postgres (a child of a killed attestd) would keep running: stop it too.
    const pid = dataDir === undefined ? undefined : postmasterPid(dataDir);
    if (pid !== undefined && isProcessAlive(pid)) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // gone
      }
      if (!(await waitUntilDead(pid, 10_000))) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
        await waitUntilDead(pid, 10_000);
      }
    }
    if (baseDir !== undefined) fs.rmSync(baseDir, { recursive: true, force: true });
  });

  const acknowledged = new Map<number, string[]>(); // batch number → occurrence names, over every round
  const attempted = new Set<number>();
  let nextBatch = 0;

  /** Writes batches from several writers and SIGKILLs the server (and, if asked, its postgres watchdog) mid-stream. */
  async function crashDuringBatches(server: AttestdProcess, killWatchdog: boolean): Promise<void> {
    const url = await server.baseUrl();
    const ackedBefore = acknowledged.size;
    const attemptedBefore = attempted.size;
    let stop = false;
    const writer = async (): Promise<void> => {
      while (!stop) {
        const b = nextBatch++;
        attempted.add(b);
        let reply: RestReply;
        try {
          reply = await call(url, 'POST', `/v1/projects/${PROJECT}/occurrences:batchCreate`, {
            occurrences: Array.from({ length: BATCH }, (_, i) => occurrence(b, i)),
          });
        } catch {
          return; // the server died under this request: not acknowledged
        }
        if (reply.status !== 200) throw new Error(`batch ${b} failed before the kill: ${reply.status} ${JSON.stringify(reply.body)}`);
        acknowledged.set(
          b,
          (reply.body.occurrences as Array<{ name: string }>).map((o) => o.name),
        );
      }
    };
    const writers = Array.from({ length: WRITERS }, () => writer());

    // Kill once a few batches are in, at an arbitrary moment while more are in flight.
    const deadline = Date.now() + 120_000;
    while (acknowledged.size < ackedBefore + 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(acknowledged.size - ackedBefore, 'batches acknowledged before the kill').to.be.at.least(5);
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
    const watchdogs = killWatchdog ? childPids(server.child.pid!).filter((pid) => cmdline(pid).includes('attestd-postgres-watchdog')) : [];
    if (killWatchdog) expect(watchdogs, 'the postgres watchdog of the server').to.have.length(1);
    server.child.kill('SIGKILL');
    for (const pid of watchdogs) process.kill(pid, 'SIGKILL');
    await server.exited;
    stop = true;
    await Promise.all(writers);
    expect(attempted.size - attemptedBefore, 'some batch was in flight at the kill').to.be.above(acknowledged.size - ackedBefore);
    if (killWatchdog) {
      const orphan = postmasterPid(dataDir);
      expect(orphan !== undefined && isProcessAlive(orphan), 'postgres outlives the killed attestd and watchdog').to.equal(true);
    }
  }

  /** Every acknowledged occurrence is stored, and every batch is there entirely or not at all. */
  async function expectNothingAcknowledgedLost(url: string): Promise<void> {
    const stored = await listOccurrences(url);
    const ackedNames = [...acknowledged.values()].flat();
    expect(ackedNames).to.have.length(acknowledged.size * BATCH);
    const missing = ackedNames.filter((name) => !stored.has(name));
    expect(missing, `acknowledged occurrences lost (of ${ackedNames.length})`).to.deep.equal([]);
    const perBatch = new Map<number, number>();
    for (const uri of stored.values()) {
      const b = Number(/\/b(\d+)\//.exec(uri)?.[1]);
      perBatch.set(b, (perBatch.get(b) ?? 0) + 1);
    }
    for (const [b, count] of perBatch) {
      expect(attempted.has(b), `batch ${b} was never sent`).to.equal(true);
      expect(count, `occurrences of batch ${b}`).to.equal(BATCH);
    }
  }

  it('keeps every acknowledged occurrence when killed with SIGKILL during batch writes', async () => {
    const first = start();
    const url = await first.baseUrl();
    expect((await call(url, 'POST', '/v1/projects', { name: `projects/${PROJECT}` })).status).to.equal(200);
    const note = await call(url, 'POST', `/v1/projects/${PROJECT}/notes?noteId=n`, { attestation: { hint: { humanReadableName: 'n' } } });
    expect(note.status, JSON.stringify(note.body)).to.equal(200);

    await crashDuringBatches(first, false);
    // Restart on the same DATA_DIR: a stale lock file, maybe a postgres still shutting down.
    current = start();
    const url2 = await current.baseUrl();
    expect((await call(url2, 'GET', '/readyz')).status).to.equal(200);
    await expectNothingAcknowledgedLost(url2);
  });

  it('recovers the orphaned postgres when attestd and its watchdog are both killed during batch writes', async () => {
    await crashDuringBatches(current!, true);
    current = start();
    const url = await current.baseUrl();
    expect((await call(url, 'GET', '/readyz')).status).to.equal(200);
    await expectNothingAcknowledgedLost(url);
  });

  it('makes a second attestd serve on the data directory in use exit non-zero, naming the directory', async () => {
    expect(current?.running, 'the restarted server is running').to.equal(true);
    const second = start();
    const { code } = await second.exited;
    expect(code, second.log()).to.not.equal(0);
    expect(code).to.not.equal(null);
    expect(second.log()).to.contain(`data directory ${dataDir} is in use`);
    // The first one is unharmed.
    const url = await current!.baseUrl();
    expect((await call(url, 'GET', '/readyz')).status).to.equal(200);
  });

  it('accepts a page token issued before a restart after the restart', async () => {
    const url = await current!.baseUrl();
    const query = `/v1/projects/${PROJECT}/occurrences?pageSize=7`;
    const first = await call(url, 'GET', query);
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    const token: string = first.body.nextPageToken;
    expect(token, 'a next page token').to.be.a('string').and.not.equal('');
    const before = await call(url, 'GET', `${query}&pageToken=${encodeURIComponent(token)}`);
    expect(before.status).to.equal(200);

    expect(await current!.terminate(), current!.log()).to.equal(0);
    current = start();
    const url2 = await current.baseUrl();
    const after = await call(url2, 'GET', `${query}&pageToken=${encodeURIComponent(token)}`);
    expect(after.status, JSON.stringify(after.body)).to.equal(200);
    const names = (r: RestReply): string[] => (r.body.occurrences as Array<{ name: string }>).map((o) => o.name);
    expect(names(after)).to.have.length(7);
    expect(names(after)).to.deep.equal(names(before));

    expect(await current.terminate(), current.log()).to.equal(0);
  });
});
