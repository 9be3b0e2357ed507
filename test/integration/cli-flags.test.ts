import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { expect } from 'chai';
import { ATTESTD_BIN as BIN, runAttestd as attestd } from '../support/run-attestd';
import { defaultBackend } from '../support/test-database';
import { TEST_JWT_SECRET } from '../support/test-server';

// One strict flag parser for `serve`, `admission`, `migrate` and every CLI command: a misspelt flag is a usage
// error (exit 2) naming the nearest valid one, before anything starts; `--help` never starts anything.
describe('attestd flags: one strict parser for the server and the CLI', function () {
  this.timeout(120_000);
  let dir: string;
  let dataDir: string;
  let env: Record<string, string>;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-flags-'));
    // Nothing may create it: an embedded database, secrets or a master key would be the sign of a start.
    dataDir = path.join(dir, 'data');
    env = { DATA_DIR: dataDir, ATTESTD_SERVER: 'http://127.0.0.1:1', ATTESTD_TOKEN: 't', ATTESTD_PROJECT: 'p' };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const misspelt: Array<{ args: string[]; message: string }> = [
    { args: ['serve', '--htp-port', '1'], message: 'attestd serve: unknown flag --htp-port; did you mean --http-port?' },
    { args: ['serve', '--HTP_PORT=1'], message: 'attestd serve: unknown flag --HTP_PORT; did you mean --HTTP_PORT?' },
    { args: ['serve', '--admission', '--clutser', 'c1'], message: 'attestd serve: unknown flag --clutser; did you mean --cluster?' },
    { args: ['admission', '--servr', 'http://x'], message: 'attestd admission: unknown flag --servr; did you mean --server?' },
    {
      args: ['migrate', '--databse-url', 'postgres://x'],
      message: 'attestd migrate: unknown flag --databse-url; did you mean --database-url?',
    },
    { args: ['audit', 'verify', '--projct', 'p'], message: 'attestd audit verify: unknown flag --projct; did you mean --project?' },
    {
      args: ['token', 'create', '--sub', 'a', '--rol', 'admin'],
      message: 'attestd token create: unknown flag --rol; did you mean --role?',
    },
    { args: ['keys', 'list', '--outptu', 'text'], message: 'attestd keys list: unknown flag --outptu; did you mean --output?' },
    {
      args: ['policies', 'create', 'x', '--namespce', 'n'],
      message: 'attestd policies create: unknown flag --namespce; did you mean --namespace?',
    },
    { args: ['attest', 'img', '--witnes', 'w'], message: 'attestd attest: unknown flag --witnes; did you mean --witness?' },
    { args: ['review', '--namespce', 'n'], message: 'attestd review: unknown flag --namespce; did you mean --namespace?' },
  ];
  for (const c of misspelt) {
    it(`attestd ${c.args.join(' ')}: exit 2 naming the nearest flag, nothing started`, async () => {
      const r = await attestd(c.args, env);
      expect(r.code, r.stdout + r.stderr).to.equal(2);
      expect(r.stderr).to.include(c.message);
      expect(fs.existsSync(dataDir), 'DATA_DIR created').to.equal(false);
    });
  }

  it('refuses an admission flag on serve without --admission, and a stray argument', async () => {
    const project = await attestd(['serve', '--project', 'p1'], env);
    expect(project.code).to.equal(2);
    expect(project.stderr).to.include('--project applies to the admission webhook: add --admission');
    const stray = await attestd(['migrate', 'now'], env);
    expect(stray.code).to.equal(2);
    expect(stray.stderr).to.include('unexpected argument "now"');
    expect(fs.existsSync(dataDir)).to.equal(false);
  });

  it('--help prints the usage and the flags, exits 0 and starts nothing, whatever else is on the line', async () => {
    for (const args of [
      ['serve', '--help'],
      ['serve', '--http-port', '1', '-h'],
      ['serve', '--htp-port', '1', '--help'],
      ['admission', '--help'],
      ['migrate', '--help'],
    ]) {
      const r = await attestd(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
      expect(r.stdout).to.match(/^usage: attestd <command>/);
      expect(r.stdout).to.match(new RegExp(`flags of attestd ${args[0]}:[\\s\\S]* --http-port V`));
    }
    expect((await attestd(['serve', '--help'], env)).stdout).to.match(/ --admission /);
    expect(fs.existsSync(dataDir), 'DATA_DIR created').to.equal(false);
  });

  it('serve applies every spelling of its flags, over the environment', async () => {
    const databaseUrl = await defaultBackend().createDatabase();
    // HTTP_PORT=1 in the environment would fail to bind: the flag must win.
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--database-url', databaseUrl, '--http-port=0', '--GRPC_PORT', '0', '--HOST=127.0.0.1', '--log-level', 'info'],
      {
        env: { PATH: process.env.PATH ?? '', HTTP_PORT: '1', GRPC_PORT: '1', DATA_DIR: dataDir, JWT_SECRET: TEST_JWT_SECRET },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const output: string[] = [];
    readline.createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
    const serving = await new Promise<{ httpPort: number; grpcPort: number; host: string }>((resolve, reject) => {
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        output.push(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; httpPort: number; grpcPort: number; host: string };
          if (entry.msg === 'attestd serving') resolve(entry);
        } catch {
          // not a log line
        }
      });
      void exited.then((code) => reject(new Error(`attestd exited (${code}) before serving:\n${output.join('\n')}`)));
    });
    try {
      expect(serving.host).to.equal('127.0.0.1');
      expect(serving.httpPort).to.be.above(1);
      expect(serving.grpcPort).to.be.above(1);
      expect((await fetch(`http://127.0.0.1:${serving.httpPort}/healthz`)).status).to.equal(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
  });
});
