import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import knexFactory from 'knex';
import { open } from '../../src/kms/envelope';
import { masterKeyId } from '../../src/kms/master-key';
import { ApiClient, digest, GRAFEAS, KMS, rpc, tempDir, TRANSPORTS, WITNESSES, type Rpc } from '../support/api-client';
import { startTestServer, type TestServer } from '../support/test-server';

// Secrets never leak: a run through every key and witness endpoint (successes and refusals, REST and gRPC),
// then every response body, every database row and a pg_dump are searched for PEM private key markers,
// the master key and the private keys themselves (recovered by opening the sealed material with the master key).

/** The spellings a secret could take in a response or a dump. */
function spellings(secret: Buffer): string[] {
  return [secret.toString('base64'), secret.toString('base64url'), secret.toString('hex')];
}

/** Every secret spelling that occurs in `text` (hex compared case-insensitively). */
function found(text: string, secrets: ReadonlyArray<{ what: string; value: Buffer }>): string[] {
  const lower = text.toLowerCase();
  const hits: string[] = [];
  for (const s of secrets) {
    for (const form of spellings(s.value)) {
      if (form.length < 16) continue;
      if (text.includes(form) || (/^[0-9a-f]+$/.test(form) && lower.includes(form))) hits.push(`${s.what} (${form.slice(0, 12)}…)`);
    }
  }
  return hits;
}

const PRIVATE_MARKER = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|PRIVATE KEY/;

const SETUPS: ReadonlyArray<{
  desc: string;
  env: (dataDir: string) => Record<string, string>;
  master: (dataDir: string, env: Record<string, string>) => string;
}> = [
  {
    desc: 'generated DATA_DIR/master.key',
    env: () => ({}),
    master: (dataDir) => fs.readFileSync(path.join(dataDir, 'master.key'), 'utf8').trim(),
  },
  {
    desc: 'MASTER_KEY from the environment',
    env: () => ({ MASTER_KEY: crypto.randomBytes(32).toString('base64') }),
    master: (_d, env) => env.MASTER_KEY!,
  },
];

for (const setup of SETUPS) {
  describe(`secrets never leak (${setup.desc})`, function () {
    this.timeout(120000);
    let server: TestServer;
    let api: ApiClient;
    let dataDir: string;
    let master: Buffer;
    const p = 'leak';

    before(async () => {
      dataDir = tempDir('attestd-leak-');
      const env = setup.env(dataDir);
      server = await startTestServer({ env: { DATA_DIR: dataDir, ...env } });
      master = Buffer.from(setup.master(dataDir, env), 'base64');
      expect(master).to.have.length(32);
      api = new ApiClient(server.baseUrl, server.grpcAddress, server.adminToken);
      await runEveryEndpoint();
    });
    after(async () => {
      api?.close();
      await server?.stop();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    /** Drives every key and witness RPC (and the reads that show their results) through both transports. */
    async function runEveryEndpoint(): Promise<void> {
      await api.must('POST', '/v1/projects', { name: `projects/${p}` });
      const data = Buffer.from('leak test').toString('base64');
      for (const t of TRANSPORTS) {
        const K = (id: string) => `${t}-${id}`;
        const call = (r: Rpc) => api.call(t, r, p);
        const key = (id: string, method: string, verb: string, suffix: string, extra: Record<string, unknown> = {}): Rpc =>
          rpc(
            [verb, `/v1/projects/{p}/keys/${K(id)}${suffix}`, verb === 'GET' ? undefined : extra],
            [KMS, method, { name: `projects/{p}/keys/${K(id)}`, ...extra }],
          );
        for (const [id, spec, purpose] of [
          ['rsa', 'RSA_2048', 'SIGN_VERIFY'],
          ['rsa3072', 'RSA_3072', 'SIGN_VERIFY'],
          ['ec256', 'EC_P256', 'SIGN_VERIFY'],
          ['ec384', 'EC_P384', 'SIGN_VERIFY'],
          ['enc', 'RSA_2048', 'ENCRYPT_DECRYPT'],
          ['bad', 'EC_P256', 'ENCRYPT_DECRYPT'],
        ] as const) {
          const body = { keySpec: spec, purpose };
          await call(
            rpc(
              ['POST', `/v1/projects/{p}/keys?keyId=${K(id)}`, body],
              [KMS, 'CreateKey', { parent: 'projects/{p}', keyId: K(id), key: body }],
            ),
          );
          await call(key(id, 'GetKey', 'GET', ''));
          await call(key(id, 'GetPublicKey', 'GET', '/publicKey'));
          const signed = await call(key(id, 'Sign', 'POST', ':sign', { data }));
          await call(key(id, 'Verify', 'POST', ':verify', { data, signature: signed.body?.signature ?? data }));
          await call(key(id, 'RotateKey', 'POST', ':rotate'));
          await call(key(id, 'Sign', 'POST', ':sign', { data: Buffer.alloc(70000).toString('base64') }));
          await call(key(id, 'DisableKey', 'POST', ':disable'));
          await call(key(id, 'Sign', 'POST', ':sign', { data }));
          await call(key(id, 'EnableKey', 'POST', ':enable'));
        }
        await call(rpc(['GET', '/v1/projects/{p}/keys'], [KMS, 'ListKeys', { parent: 'projects/{p}' }]));
        const witness = (id: string, body: Record<string, unknown>) =>
          call(
            rpc(
              ['POST', `/v1/projects/{p}/witnesses?witnessId=${K(id)}`, body],
              [WITNESSES, 'CreateWitness', { parent: 'projects/{p}', witnessId: K(id), witness: body }],
            ),
          );
        await witness('w', { key: `projects/${p}/keys/${K('rsa')}`, keys: [`projects/${p}/keys/${K('ec256')}`] });
        await witness('w-enc', { key: `projects/${p}/keys/${K('enc')}` });
        const priv = crypto
          .generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString();
        const refusedPrivate = await witness('w-priv', { publicKeys: [{ pem: priv, algorithm: 'ECDSA_P256_SHA256' }] });
        expect(refusedPrivate.code, 'a private key PEM is refused').to.equal('INVALID_ARGUMENT');
        const W = `projects/{p}/witnesses/${K('w')}`;
        await call(rpc(['GET', `/v1/${W}`], [WITNESSES, 'GetWitness', { name: W }]));
        await call(rpc(['GET', '/v1/projects/{p}/witnesses'], [WITNESSES, 'ListWitnesses', { parent: 'projects/{p}' }]));
        await call(
          rpc(
            ['PATCH', `/v1/${W}?updateMask=description`, { description: 'd' }],
            [WITNESSES, 'UpdateWitness', { name: W, witness: { description: 'd' }, updateMask: { paths: ['description'] } }],
          ),
        );
        for (const image of [`registry.example.com/leak/app@${digest(t)}`, 'registry.example.com/leak/app:tag']) {
          await call(rpc(['POST', `/v1/${W}:attest`, { image }], [WITNESSES, 'Attest', { name: W, image }]));
        }
        await call(
          rpc(
            ['GET', `/v1/projects/{p}/notes/${K('w')}/occurrences`],
            [GRAFEAS, 'ListNoteOccurrences', { name: `projects/{p}/notes/${K('w')}` }],
          ),
        );
        await call(rpc(['DELETE', `/v1/${W}`], [WITNESSES, 'DeleteWitness', { name: W }]));
      }
      await api.must('GET', `/v1/projects/${p}/auditEvents?pageSize=1000`);
    }

    /** The private keys, recovered from the sealed material with the master key (proving the search targets are real). */
    async function privateKeys(): Promise<Array<{ what: string; value: Buffer; material: Buffer }>> {
      const knex = knexFactory({ client: 'pg', connection: server.databaseUrl, pool: { min: 0, max: 1 } });
      try {
        const rows = await knex('key_versions').select<
          Array<{
            project_id: string;
            key_id: string;
            version: number;
            public_key_pem: string;
            material: Buffer;
            material_key_id: string;
          }>
        >('project_id', 'key_id', 'version', 'public_key_pem', 'material', 'material_key_id');
        expect(rows.length).to.be.at.least(20);
        const out: Array<{ what: string; value: Buffer; material: Buffer }> = [];
        for (const r of rows) {
          const name = `projects/${r.project_id}/keys/${r.key_id}/versions/${r.version}`;
          expect(r.material_key_id).to.equal(masterKeyId(master));
          const der = open({ key: master, id: masterKeyId(master) }, r.material, name);
          const privateKey = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
          expect(
            crypto.createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
            `${name}: the sealed key matches its public key`,
          ).to.equal(r.public_key_pem);
          const jwk = privateKey.export({ format: 'jwk' });
          out.push({ what: `${name} PKCS#8 DER`, value: der, material: r.material });
          out.push({ what: `${name} private scalar d`, value: Buffer.from(jwk.d!, 'base64url'), material: r.material });
          const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
          const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
          out.push({ what: `${name} PEM first line`, value: Buffer.from(body[0]!, 'base64'), material: r.material });
          if (jwk.p) out.push({ what: `${name} prime p`, value: Buffer.from(jwk.p, 'base64url'), material: r.material });
        }
        return out;
      } finally {
        await knex.destroy();
      }
    }

    /** Every row of every table as text (bytea as hex), plus pg_dump --data-only when the tool is there. */
    async function databaseText(): Promise<string> {
      const knex = knexFactory({ client: 'pg', connection: server.databaseUrl, pool: { min: 0, max: 1 } });
      const parts: string[] = [];
      try {
        const tables = (await knex.raw(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).rows as Array<{ tablename: string }>;
        expect(tables.map((t) => t.tablename)).to.include.members(['keys', 'key_versions', 'witnesses', 'occurrences']);
        for (const { tablename } of tables) {
          const rows = (await knex.raw(`SELECT t::text AS row FROM "${tablename}" t`)).rows as Array<{ row: string }>;
          parts.push(...rows.map((r) => `${tablename}: ${r.row}`));
        }
      } finally {
        await knex.destroy();
      }
      try {
        parts.push(execFileSync('pg_dump', ['--data-only', server.databaseUrl], { maxBuffer: 256 * 1024 * 1024 }).toString());
      } catch (err) {
        if (process.env.CI === 'true') throw err;
        console.warn(`  (pg_dump unavailable, searched the table rows only: ${(err as Error).message.split('\n')[0]})`);
      }
      return parts.join('\n');
    }

    it('the run covered successes and refusals on both transports', () => {
      expect(api.transcript.length).to.be.at.least(140);
      // The scanner itself finds a planted secret in each spelling.
      for (const form of spellings(master)) expect(found(`{"x":"${form}"}`, [{ what: 'm', value: master }])).to.not.deep.equal([]);
      expect(api.transcript.join('\n')).to.include('-----BEGIN PUBLIC KEY-----');
      expect(api.transcript.join('\n')).to.match(/FAILED_PRECONDITION|cannot sign/);
    });

    it('no response body carries a PEM private key marker, the master key or any private key material', async () => {
      const responses = api.transcript.join('\n');
      expect(responses).to.not.match(PRIVATE_MARKER);
      const secrets = [{ what: 'master key', value: master }, ...(await privateKeys())];
      expect(found(responses, secrets)).to.deep.equal([]);
    });

    it('the master key appears nowhere in the database, nor does any private key in plaintext', async () => {
      const dump = await databaseText();
      expect(dump).to.include('key_versions');
      expect(dump).to.not.match(PRIVATE_MARKER);
      const keys = await privateKeys();
      expect(found(dump, [{ what: 'master key', value: master }, ...keys])).to.deep.equal([]);
      // Directly on the sealed bytes as well: not the DER, not the scalar, not the master key.
      for (const k of keys) {
        expect(k.material.includes(k.value), `${k.what} inside its own sealed material`).to.equal(false);
        expect(k.material.includes(master), 'master key inside sealed material').to.equal(false);
      }
    });

    it('a sealed blob cannot be opened under another version name (it is bound to its row)', async () => {
      const [first] = await privateKeys();
      expect(() => open({ key: master, id: masterKeyId(master) }, first!.material, 'projects/leak/keys/other/versions/1')).to.throw();
    });
  });
}
