import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { RunningServer } from '../../src/main';
import { admissionSettings, Rest, scenario, startAttestd } from './admission-harness';

const ROOT = path.join(__dirname, '..', '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'kubernetes');
const DIGEST = 'sha256:ddba4d27a7ffc3f86dd6c2f92041af252a1f23a8e742c90e6e1297bfa1bc0c45';

// `attestd review` turns real kubectl output into AdmissionReviews for the webhook and prints what kubectl would.
describe('attestd review (kubectl output → admission webhook)', function () {
  this.timeout(120000);
  let server: RunningServer & { baseUrl: string };

  before(async () => {
    server = await startAttestd({ admission: admissionSettings() });
    await scenario(new Rest(server.baseUrl));
  });
  after(async () => server?.stop());

  // Asynchronous: the webhook answers from this very process.
  function run(args: string[], input: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'attestd.js'), ...args]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
      child.stdin.end(input);
    });
  }

  function review(object: string, ...flags: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const webhook = `https://127.0.0.1:${server.admission!.port}/validate`;
    return run(['review', '--namespace', 'default', '--webhook', webhook, '--ca-bundle', server.admission!.caBundle, ...flags], object);
  }

  it('denies the tag with the exact sentence kubectl shows', async () => {
    const r = await review(fs.readFileSync(path.join(FIXTURES, 'kubectl-deployment-tag.json'), 'utf8'));
    expect(r.status).to.equal(1);
    expect(r.stderr).to.contain(
      'Error from server: admission webhook "kritis-validation-hook-deployments.grafeas.io" denied the request: image alpine:3.11 is not attested\n',
    );
  });

  it('denies the unsigned digest with the exact sentence', async () => {
    const r = await review(fs.readFileSync(path.join(FIXTURES, 'kubectl-deployment-digest.json'), 'utf8'));
    expect(r.status).to.equal(1);
    expect(r.stderr).to.contain(`denied the request: image alpine@${DIGEST} is not attested\n`);
  });

  it('admits an attested digest and names it as kubectl does', async () => {
    const image = `127.0.0.1:5000/kritis-demo/alpine@${DIGEST}`;
    await new Rest(server.baseUrl).post('/v1/projects/p1/witnesses/w1:attest', { image });
    const deployment = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'kubectl-deployment-digest.json'), 'utf8'));
    deployment.metadata.name = 'is-signed';
    deployment.spec.template.spec.containers[0].image = image;
    const r = await review(JSON.stringify(deployment));
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal('deployment.apps/is-signed admitted\n');
    expect(r.status).to.equal(0);
  });

  it('refuses a webhook it cannot trust, and bad usage', async () => {
    const object = fs.readFileSync(path.join(FIXTURES, 'kubectl-deployment-tag.json'), 'utf8');
    const untrusted = await run(
      ['review', '--namespace', 'default', '--webhook', `https://127.0.0.1:${server.admission!.port}/validate`],
      object,
    );
    expect(untrusted.status).to.equal(1);
    expect(untrusted.stderr).to.match(/failed calling webhook/);
    expect((await review('not json')).status).to.equal(2);
    const noNamespace = await run(['review'], object);
    expect(noNamespace.status).to.equal(2);
    expect(noNamespace.stderr).to.contain('--namespace is required');
  });
});
