import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startAdmissionWebhook, type RunningWebhook } from '../../src/admission/admission-webhook';
import { RemoteVerifier } from '../../src/admission/remote-verifier';
import { TokenFile } from '../../src/admission/token-file';
import { loadAdmissionConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { DIGEST, SIGNED_REPO, deploymentReview } from '../admission/admission-fixtures';
import { Rest, WebhookClient, admissionSettings, scenario, startAttestd } from '../admission/admission-harness';
import { LocalOidcIssuer } from '../support/local-oidc-issuer';
import { untilTrue } from '../support/until';

const SA = 'system:serviceaccount:attestd:admission';

/** Replaces the file as the kubelet does: a new file renamed over the old one. */
function rewrite(file: string, token: string): void {
  fs.writeFileSync(`${file}.tmp`, `${token}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

describe('stand-alone admission adapter with --token-file: a projected service-account token, rotated', function () {
  this.timeout(120_000);
  let server: Awaited<ReturnType<typeof startAttestd>>;
  let issuer: LocalOidcIssuer;
  let dir: string;
  let tokenFile: TokenFile | undefined;
  let webhook: RunningWebhook | undefined;
  let client: WebhookClient | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-token-file-'));
    issuer = await LocalOidcIssuer.start();
    server = await startAttestd();
    const rest = new Rest(server.baseUrl);
    await scenario(rest);
    // The cluster's service-account issuer, trusted by project p1 for the adapter's service account.
    await rest.post('/v1/projects/p1/identityProviders?providerId=k8s', {
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      audience: 'attestd',
      algorithms: ['ES256'],
      roleBindings: [{ claim: 'sub', equals: SA, roles: ['admission'] }],
    });
  });
  after(async () => {
    client?.close();
    tokenFile?.stop();
    await webhook?.stop(0);
    await server?.stop();
    await issuer?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--token and --token-file are mutually exclusive; an unreadable or empty token file stops the start naming it', () => {
    expect(() => loadAdmissionConfig({ ATTESTD_TOKEN: 'a' }, { TOKEN_FILE: '/var/run/secrets/tokens/attestd' })).to.throw(
      /--token and --token-file are mutually exclusive/,
    );
    expect(loadAdmissionConfig({ ATTESTD_TOKEN_FILE: '/t' }, {}).tokenFile).to.equal('/t');
    expect(() => new TokenFile(path.join(dir, 'missing'), silentLogger())).to.throw(/--token-file .*missing cannot be read \(ENOENT\)/);
    fs.writeFileSync(path.join(dir, 'empty'), '\n');
    expect(() => new TokenFile(path.join(dir, 'empty'), silentLogger())).to.throw(
      /must hold one bearer token \(a JWT\), got an empty file/,
    );
  });

  it('authenticates through the identity provider, and picks up a rewritten token file after the old token was revoked', async () => {
    const file = path.join(dir, 'token');
    const first = await issuer.sign({ sub: SA, jti: 'sa-token-1' });
    rewrite(file, first);
    tokenFile = new TokenFile(file, silentLogger());
    const settings = admissionSettings();
    const verifier = new RemoteVerifier({
      server: server.baseUrl,
      project: settings.project,
      cluster: settings.cluster,
      token: undefined,
      tokenSource: tokenFile,
      insecureServer: true,
    });
    webhook = await startAdmissionWebhook(settings, { host: '127.0.0.1', port: 0, tlsReloadIntervalMs: 100 }, verifier, silentLogger());
    client = new WebhookClient(webhook);
    const ready = await client.send('GET', '/readyz');
    expect(ready.status, ready.text).to.equal(200);
    const review = deploymentReview([`${SIGNED_REPO}@${DIGEST}`]);
    const before = await client.review(review);
    expect(String(before.status?.message ?? '')).to.not.include('token');

    // The token is revoked (as if it leaked): the adapter is refused and says so.
    await new Rest(server.baseUrl).post('/v1/tokens/sa-token-1:revoke');
    const refused = await client.review(deploymentReview([`${SIGNED_REPO}@${DIGEST}`]));
    expect(refused.allowed).to.equal(false);
    expect(refused.status.message).to.match(
      /rejected the admission adapter's token \(401: the bearer token \(jti sa-token-1\) was revoked/,
    );
    expect(refused.status.message).to.include('--token-file');

    // The kubelet writes the next token: the adapter uses it without a restart.
    rewrite(file, await issuer.sign({ sub: SA, jti: 'sa-token-2' }));
    await untilTrue('the adapter to be ready', async () => (await client!.send('GET', '/readyz')).status === 200);
    const after = await client.review(deploymentReview([`${SIGNED_REPO}@${DIGEST}`]));
    expect(String(after.status?.message ?? '')).to.not.include('token');
    expect(tokenFile.current()).to.not.equal(first);
  });
});
