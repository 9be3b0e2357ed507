import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { RunningServer } from '../../src/main';
import { admissionSettings, Rest, scenario, startAttestd } from './admission-harness';

const ROOT = path.join(__dirname, '..', '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The README's shell blocks, with backslash continuations joined into one line per command. */
function shellLines(): string[] {
  const blocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n'));
}

// The README's examples as a new user runs them: the kubectl lines as written, the set-up without collisions.
describe('README examples', function () {
  this.timeout(120_000);
  let server: RunningServer & { baseUrl: string };
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-readme-'));

  before(async () => {
    server = await startAttestd({ admission: admissionSettings() });
    await scenario(new Rest(server.baseUrl));
  });
  after(async () => {
    await server?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  function review(object: string): Promise<string> {
    const webhook = `https://127.0.0.1:${server.admission!.port}/validate`;
    const args = ['review', '--namespace', 'default', '--webhook', webhook, '--ca-bundle', server.admission!.caBundle];
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'attestd.js'), ...args]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(out.trim()));
      child.stdin.end(object);
    });
  }

  it('every `kubectl … create deployment` line runs as written and the webhook answers what the README shows', async function () {
    if (process.env.CI !== 'true' && !fs.existsSync('/usr/bin/kubectl')) this.skip();
    const lines = shellLines();
    const commands = lines
      .map((l, i) => ({ l, i })) // Lines whose image comes from an earlier step's variable ($D, $A) need a registry: the registry tests run those.
      .filter(({ l }) => /^kubectl .* create deployment /.test(l) && !/\$/.test(l.split(' | ')[0]!));
    expect(commands.length).to.be.at.least(2);
    for (const { l, i } of commands) {
      const [kubectlPart] = l.split(' | ');
      const argv = kubectlPart!.trim().split(/\s+/).slice(1);
      // No cluster is needed for --dry-run=client; the server below is never dialled.
      const object = execFileSync('kubectl', ['--server', 'http://127.0.0.1:1', ...argv], {
        encoding: 'utf8',
        env: { ...process.env, HOME: home },
      });
      const expected = lines[i + 1]!.replace(/^# /, '');
      const got = await review(object);
      // Warnings come first, as kubectl prints them; the README shows the last line.
      const last = got.split('\n').at(-1)!;
      if (expected.startsWith('…')) expect(last, l).to.contain(expected.slice(1).trim());
      else expect(last, l).to.equal(expected);
    }
  });

  it("the quickstart's project and Grafeas note do not collide with the scenario's project and witness note", () => {
    const created = [...README.matchAll(/-X POST localhost:8080\/v1\/projects -d '\{"name":"projects\/([a-z0-9-]+)"\}'/g)].map((m) => m[1]);
    const cliCreated = [...README.matchAll(/^attestd projects create ([a-z0-9-]+)$/gm)].map((m) => m[1]);
    expect(cliCreated).to.deep.equal(['demo']);
    expect(created).to.not.include('demo');
    const notes = [...README.matchAll(/\/v1\/projects\/([a-z0-9-]+)\/notes\?noteId=([a-z0-9-]+)/g)].map((m) => `${m[1]}/${m[2]}`);
    const witnesses = [...README.matchAll(/^attestd witnesses create ([a-z0-9-]+)/gm)].map((m) => `demo/${m[1]}`);
    expect(notes.length).to.be.at.least(1);
    for (const n of notes) expect(witnesses, `note ${n} is also a witness's note`).to.not.include(n);
  });
});
