import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LooseJson } from '../support/loose-json';
import { restCall, type RestReply } from '../support/rest-call';

/** The registry fixtures copied into the project (see test/fixtures/registry/PROVENANCE.md). */
export const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'registry');
/** The digest the captured registry pushed. */
export const CAPTURED_DIGEST = 'sha256:91a23e497e22785074aa893b0bd052f46354d2c211bed7180247c639f186c51c';

export function fixtureText(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

export function fixture(name: string): LooseJson {
  return JSON.parse(fixtureText(name));
}

export type Reply = RestReply;

/** One REST call; the body is sent as given when it is a string. */
export function call(
  baseUrl: string,
  token: string | undefined,
  method: string,
  urlPath: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Reply> {
  return restCall(baseUrl, token, method, urlPath, body, { contentType, timeoutMs: 30_000 });
}

/** Calls and insists on a 2xx. */
export async function ok(baseUrl: string, token: string, method: string, urlPath: string, body?: unknown): Promise<LooseJson> {
  const r = await call(baseUrl, token, method, urlPath, body);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${urlPath} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Creates project P, key "signer", witness W and (optionally) an enabled signing rule R. */
export async function setUpSigning(
  baseUrl: string,
  token: string,
  o: { project: string; witness: string; rule?: string; registry?: string; namespace?: string; repositories?: string },
): Promise<void> {
  await ok(baseUrl, token, 'POST', '/v1/projects', { name: `projects/${o.project}` });
  await ok(baseUrl, token, 'POST', `/v1/projects/${o.project}/keys?keyId=signer`, { keySpec: 'EC_P256' });
  await ok(baseUrl, token, 'POST', `/v1/projects/${o.project}/witnesses?witnessId=${o.witness}`, {
    key: `projects/${o.project}/keys/signer`,
  });
  if (o.rule) {
    await ok(baseUrl, token, 'POST', `/v1/projects/${o.project}/signingRules?ruleId=${o.rule}`, {
      registry: o.registry ?? '127.0.0.1:5000',
      namespace: o.namespace ?? 'kritis-demo',
      repositories: o.repositories ?? '*',
      witness: `projects/${o.project}/witnesses/${o.witness}`,
      enabled: true,
    });
  }
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
