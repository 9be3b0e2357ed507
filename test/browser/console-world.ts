import { expect } from 'chai';
import { digest } from '../support/api-client';
import type { TestServer } from '../support/test-server';

/** Text a writer controls, planted in every field the console shows: markup that would run or add elements if parsed. */
export const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b id="injected">bold</b>`;

export const PROJECT = 'shop';
export const REPO = '127.0.0.1:5000/team/app';
export const ATTESTED = `${REPO}@${digest('console-attested')}`;
export const UNSIGNED = `${REPO}@${digest('console-unsigned')}`;

/** Seeds a project through the REST API as an admin: a key, a witness, a policy, an attestation, decisions, a hook event. */
export async function seedConsoleWorld(server: TestServer): Promise<void> {
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(server.baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    expect(res.status, `${method} ${path}: ${JSON.stringify(json)}`).to.equal(200);
    return json;
  };
  const p = `/v1/projects/${PROJECT}`;
  await call('POST', '/v1/projects', { name: `projects/${PROJECT}` });
  await call('POST', `${p}/keys?keyId=release`, { keySpec: 'EC_P256', purpose: 'SIGN_VERIFY' });
  await call('POST', `${p}/witnesses?witnessId=ci`, { key: `projects/${PROJECT}/keys/release`, description: HOSTILE });
  await call('POST', `${p}/clusters?clusterId=c1`, {});
  await call('POST', `${p}/policies?policyId=prod-gate`, {
    witnesses: [`projects/${PROJECT}/witnesses/ci`],
    cluster: 'c1',
    namespaces: ['prod'],
    enabled: true,
    note: HOSTILE,
  });
  // An opt-in cluster whose webhook covers only `shop`: a policy for `staging` there is never enforced (ADR 0065).
  await call('POST', `${p}/clusters?clusterId=edge`, { webhookMode: 'OPT_IN', enforcedNamespaces: ['shop'] });
  await call('POST', `${p}/policies?policyId=edge-gate`, {
    witnesses: [`projects/${PROJECT}/witnesses/ci`],
    cluster: 'edge',
    namespaces: ['shop', 'staging'],
    enabled: true,
  });
  await call('POST', `${p}/signingRules?ruleId=team`, {
    registry: '127.0.0.1:5000',
    namespace: 'team',
    repositories: '*',
    witness: `projects/${PROJECT}/witnesses/ci`,
    enabled: true,
  });
  await call('POST', `${p}/witnesses/ci:attest`, { image: ATTESTED });
  await call('POST', `${p}:verifyImages`, { cluster: 'c1', namespace: 'prod', images: [ATTESTED] });
  await call('POST', `${p}:verifyImages`, { cluster: 'c1', namespace: 'prod', images: [UNSIGNED, HOSTILE] });
  await call('POST', `${p}/hooks/generic`, { images: [ATTESTED, HOSTILE] });
  // Decisions are written by a buffer shortly after the answer: the pages are opened once both are stored.
  for (let tries = 0; ; tries++) {
    const listed = (await call('GET', `${p}/decisions`)).decisions;
    if (Array.isArray(listed) && listed.length >= 2) break;
    if (tries >= 100) throw new Error(`the two decisions were not recorded: ${JSON.stringify(listed)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
