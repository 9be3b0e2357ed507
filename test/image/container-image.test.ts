import { expect } from 'chai';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { restCall } from '../support/rest-call';
import { embeddedPostgres, realPostgres } from '../support/test-database';
import { TEST_JWT_SECRET, testToken } from '../support/test-server';
import { freePort } from '../support/free-port';

// The Dockerfile, unchanged, built with buildah (no Docker engine) and run with `buildah run --isolation=chroot
// --network=host`. No image registry is reachable here, so the official Node base the Dockerfile names is stood in
// for by test/image/stand-in-base.sh (Debian from mmdebstrap + the Node binary from the npm registry), tagged with
// the base's name and built with --pull=never. Skips loudly only where buildah or mmdebstrap is not installed.

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');
const BUILD_TIMEOUT_MS = 25 * 60_000;

function installed(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Runs a command to completion; on failure the error carries its output's tail. */
async function sh(command: string, args: string[], options: { timeout?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout } = await run(command, args, {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
      timeout: options.timeout ?? 120_000,
      env: options.env ?? process.env,
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const tail = `${e.stdout ?? ''}\n${e.stderr ?? ''}`.split('\n').slice(-40).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed: ${e.message.split('\n')[0]}\n${tail}`);
  }
}

/** The process ids below `pid` (the container's processes under `buildah run`). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = /^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'));
      if (ppid) parent.set(Number(entry), Number(ppid[1]));
    } catch {
      // gone meanwhile
    }
  }
  const below = (p: number): boolean => {
    for (let q = parent.get(p); q !== undefined && q > 1; q = parent.get(q)) if (q === pid) return true;
    return false;
  };
  return [...parent.keys()].filter(below);
}

function cmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

describe('container image: the Dockerfile built with buildah and run without a Docker engine', function () {
  this.timeout(BUILD_TIMEOUT_MS + 10 * 60_000);
  const image = `localhost/attestd:test-${crypto.randomBytes(4).toString('hex')}`;
  const containers: string[] = [];
  let built = false;
  let databaseUrl: string;

  before(async function () {
    const missing = ['buildah', 'mmdebstrap'].filter((t) => !installed(t));
    if (missing.length) {
      console.warn(
        `\n  !!! SKIPPED: the container image test needs ${missing.join(' and ')} (apt-get install -y buildah mmdebstrap; .ci/run does)\n`,
      );
      this.skip();
    }
    databaseUrl = await (realPostgres() ?? embeddedPostgres()).createDatabase();

    // Both stages name the same official base; stand in for it unless it is already in local storage.
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const bases = [...new Set([...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!))];
    expect(bases, 'one pinned official Node base').to.have.length(1);
    expect(bases[0]).to.match(/^docker\.io\/library\/node:24\.\d+\.\d+-bookworm-slim$/);
    if (spawnSync('buildah', ['inspect', '--type', 'image', bases[0]!], { stdio: 'ignore' }).status !== 0) {
      await sh(path.join(ROOT, 'test/image/stand-in-base.sh'), [bases[0]!], { timeout: BUILD_TIMEOUT_MS });
    }
    await sh('npm', ['run', 'image:build', '--', '--isolation=chroot', '--pull=never'], {
      timeout: BUILD_TIMEOUT_MS,
      env: { ...process.env, IMAGE: image, IMAGE_BUILDER: 'buildah' },
    });
    built = true;
    const size = (await sh('buildah', ['images', '--format', '{{.Size}}', image])).trim();
    console.log(`      image ${image}: ${size} (on the local stand-in base)`);
  });

  after(async () => {
    for (const c of containers) await sh('buildah', ['rm', c]).catch(() => undefined);
    if (built) await sh('buildah', ['rmi', image]).catch(() => undefined);
  });

  const container = async (): Promise<string> => {
    const c = (await sh('buildah', ['from', '--pull=never', image])).trim();
    containers.push(c);
    return c;
  };
  const inside = async (c: string, env: Record<string, string>, ...command: string[]): Promise<string> =>
    sh('buildah', [
      'run',
      '--isolation=chroot',
      '--network=host',
      ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
      c,
      '--',
      ...command,
    ]);

  it('runs attestd as a numeric non-root user: entrypoint attestd, command serve, OCI labels', async () => {
    const inspected = JSON.parse(await sh('buildah', ['inspect', '--type', 'image', image])) as {
      OCIv1: { config: { User: string; Entrypoint: string[]; Cmd: string[]; Labels: Record<string, string> } };
    };
    const config = inspected.OCIv1.config;
    expect(config.User).to.match(/^[1-9]\d*:[1-9]\d*$/);
    expect(config.Entrypoint).to.deep.equal(['attestd']);
    expect(config.Cmd).to.deep.equal(['serve']);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; license: string };
    expect(config.Labels).to.include({
      'org.opencontainers.image.version': pkg.version,
      'org.opencontainers.image.licenses': pkg.license,
      'org.opencontainers.image.title': 'attestd',
    });
    expect(config.Labels).to.have.property('org.opencontainers.image.source');
    expect(config.Labels['org.opencontainers.image.revision']).to.match(/^([0-9a-f]{40}|unknown)$/);
    const c = await container();
    expect((await inside(c, {}, 'id', '-u')).trim()).to.equal(config.User.split(':')[0]);
  });

  it('holds production dependencies and compiled JavaScript only: no tests, bench, TypeScript or .git', async () => {
    const c = await container();
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const list = async (script: string): Promise<string[]> => (await inside(c, {}, 'sh', '-c', script)).split(/\s+/).filter(Boolean);
    expect(await list('ls -A /app')).to.have.members(['bin', 'dist', 'node_modules', 'package.json', 'proto']);
    expect(await list('ls -A /app/dist')).to.have.members(['console', 'migrations', 'src']);
    expect(await list('cd /app && find . -path ./node_modules -prune -o -name "*.ts" -print')).to.deep.equal([]);
    // @types/* are left out: protobufjs depends on @types/node at run time (declaration files, no compiler).
    const exists = (names: string[]): Promise<string[]> =>
      list(names.map((n) => `test -e /app/node_modules/${n}/package.json && echo ${n};`).join(' ') + ' true');
    expect(
      await exists([...Object.keys(pkg.devDependencies).filter((d) => !d.startsWith('@types/')), 'typescript', 'mocha']),
      'dev dependencies in the image',
    ).to.deep.equal([]);
    expect(await exists(['express', 'pg', 'knex'])).to.deep.equal(['express', 'pg', 'knex']);
  });

  it('`attestd migrate` applies the migrations from the image', async () => {
    const c = await container();
    const out = await inside(c, { DATABASE_URL: databaseUrl }, 'attestd', 'migrate');
    expect(out).to.match(/"msg":"migrations applied"/);
  });

  it('serves /readyz and a Grafeas write and read on the test database as the non-root user, and drains on SIGTERM', async () => {
    const c = await container();
    const httpPort = await freePort();
    const grpcPort = await freePort();
    const env = {
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      GRPC_PORT: String(grpcPort),
      JWT_SECRET: TEST_JWT_SECRET,
      MASTER_KEY: crypto.randomBytes(32).toString('base64'),
      SHUTDOWN_GRACE_MS: '5000',
    };
    const args = ['run', '--isolation=chroot', '--network=host', ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), c];
    const child: ChildProcess = spawn('buildah', [...args, '--', 'attestd', 'serve'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => void (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => void (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${httpPort}`;
    try {
      let ready = false;
      for (let i = 0; i < 180 && !ready && child.exitCode === null; i++) {
        ready = await fetch(`${base}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (!ready) await new Promise((r) => setTimeout(r, 1000));
      }
      expect(ready, `attestd in the image did not become ready:\n${log}`).to.equal(true);

      // The server process: attestd's node, exec'd by the entrypoint (no shell in between), as the image's user.
      const server = descendants(child.pid!).find((pid) => cmdline(pid).includes('serve') && cmdline(pid)[0]!.endsWith('node'));
      expect(server, 'the node process under buildah run').to.not.equal(undefined);
      expect(fs.readFileSync(`/proc/${server}/status`, 'utf8')).to.match(/^Uid:\s+10001\s/m);

      const token = testToken();
      expect((await restCall(base, token, 'POST', '/v1/projects', { name: 'projects/image' })).status).to.equal(200);
      const note = await restCall(base, token, 'POST', '/v1/projects/image/notes?noteId=qa', {
        shortDescription: 'from the image test',
        attestation: { hint: { humanReadableName: 'qa' } },
      });
      expect(note.status, JSON.stringify(note.body)).to.equal(200);
      const uri = `https://registry.example.com/ns/app@sha256:${'a'.repeat(64)}`;
      const created = await restCall(base, token, 'POST', '/v1/projects/image/occurrences', {
        noteName: 'projects/image/notes/qa',
        resourceUri: uri,
        attestation: {
          serializedPayload: Buffer.from('payload').toString('base64'),
          signatures: [{ signature: Buffer.from('sig').toString('base64'), publicKeyId: 'k' }],
        },
      });
      expect(created.status, JSON.stringify(created.body)).to.equal(200);
      const read = await restCall(base, token, 'GET', `/v1/${created.body.name}`);
      expect(read.status).to.equal(200);
      expect(read.body.resourceUri).to.equal(uri);
      expect(read.body.noteName).to.equal('projects/image/notes/qa');

      process.kill(server!, 'SIGTERM');
      expect(await exited, log).to.equal(0);
      expect(log).to.match(/"msg":"attestd stopped"/);
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  });
});
