import { expect } from 'chai';
import type { KeyRecord, SigningMaterial } from '../../src/domain/stores/key-store';
import type { Stores } from '../../src/domain/stores/unit-of-work';
import type { StoreBackend } from './backends';
import { at, createProjects, expectBadToken, lockSequence, rejection, T0, tampered, useDatabase } from './contract-fixtures';

const key = (projectId: string, keyId: string, extra: Partial<KeyRecord> = {}): KeyRecord => ({
  projectId,
  keyId,
  keySpec: 'EC_P256',
  purpose: 'SIGN_VERIFY',
  algorithm: 'EC_SIGN_P256_SHA256',
  description: `key ${keyId}`,
  state: 'ENABLED',
  primaryVersion: 1,
  createTime: T0,
  updateTime: T0,
  ...extra,
});

const version = (n: number, material = `sealed-${n}`): SigningMaterial => ({
  version: n,
  algorithm: 'EC_SIGN_P256_SHA256',
  publicKeyPem: `-----BEGIN PUBLIC KEY-----\nv${n}\n-----END PUBLIC KEY-----\n`,
  material: Buffer.from(material),
  materialKeyId: 'master-1',
  createTime: at(n),
});

/** What every KeyStore must do: keys with their versions, private parts only through signingMaterial, row locks. */
export function keyStoreContract(backend: StoreBackend): void {
  describe(`key store contract (${backend.name})`, function () {
    this.timeout(60000);
    const { uow } = useDatabase(backend);
    const keys = () => uow().stores.keys;

    before(async () => createProjects(uow(), 'k1', 'k2'));

    it('inserts a key with its first version once', async () => {
      expect(await keys().insert(key('k1', 'signer'), version(1))).to.equal(true);
      expect(await keys().insert(key('k1', 'signer', { description: 'again' }), version(1, 'other'))).to.equal(false);
      expect(await keys().get('k1', 'signer')).to.deep.equal(key('k1', 'signer'));
      expect(await keys().get('k2', 'signer')).to.equal(undefined);
      expect(await keys().versions('k1', 'signer')).to.deep.equal([
        { version: 1, algorithm: 'EC_SIGN_P256_SHA256', publicKeyPem: version(1).publicKeyPem, createTime: at(1) },
      ]);
    });

    it('hands out the sealed material of a version, and only through signingMaterial', async () => {
      const m = (await keys().signingMaterial('k1', 'signer', 1))!;
      expect(m.material.equals(Buffer.from('sealed-1'))).to.equal(true);
      expect(m.materialKeyId).to.equal('master-1');
      expect(JSON.stringify(await keys().versions('k1', 'signer'))).to.not.contain('sealed');
      expect(await keys().signingMaterial('k1', 'signer', 2)).to.equal(undefined);
    });

    it('adds versions in order, refuses a version of a missing key, and updates the key', async () => {
      await keys().addVersion('k1', 'signer', version(2));
      await keys().addVersion('k1', 'signer', version(3));
      expect((await keys().versions('k1', 'signer')).map((v) => v.version)).to.deep.equal([1, 2, 3]);
      const err = await rejection(keys().addVersion('k1', 'ghost', version(1)));
      expect(uow().classifyError(err)?.code).to.equal('FAILED_PRECONDITION');
      await keys().update(key('k1', 'signer', { primaryVersion: 3, state: 'DISABLED', updateTime: at(9) }));
      expect(await keys().get('k1', 'signer')).to.deep.include({ primaryVersion: 3, state: 'DISABLED', updateTime: at(9), createTime: T0 });
    });

    it("reads several keys' public versions with each key's state at once", async () => {
      await keys().insert(key('k2', 'other'), version(1));
      const got = await keys().versionsOf([
        { projectId: 'k2', keyId: 'other' },
        { projectId: 'k1', keyId: 'signer' },
        { projectId: 'k1', keyId: 'missing' },
      ]);
      expect([...got.keys()].sort()).to.deep.equal(['projects/k1/keys/signer', 'projects/k2/keys/other']);
      expect(got.get('projects/k1/keys/signer')!.map((v) => [v.version, v.keyState])).to.deep.equal([
        [1, 'DISABLED'],
        [2, 'DISABLED'],
        [3, 'DISABLED'],
      ]);
      expect(JSON.stringify([...got.values()])).to.not.contain('sealed');
      expect((await keys().versionsOf([])).size).to.equal(0);
    });

    it('pages keys of one project in id order', async () => {
      for (const id of ['c', 'a', 'e', 'b', 'd']) await keys().insert(key('k2', id), version(1));
      const first = await keys().list('k2', 4, undefined);
      const rest = await keys().list('k2', 4, first.nextPageToken);
      expect([...first.items, ...rest.items].map((k) => k.keyId)).to.deep.equal(['a', 'b', 'c', 'd', 'e', 'other']);
      expect(rest.nextPageToken).to.equal('');
      await expectBadToken(keys().list('k1', 4, first.nextPageToken));
      await expectBadToken(keys().list('k2', 4, tampered(first.nextPageToken)));
    });

    it('refuses a key in a project that does not exist', async () => {
      const err = await rejection(keys().insert(key('absent', 'k'), version(1)));
      expect(uow().classifyError(err)?.code).to.equal('FAILED_PRECONDITION');
    });

    it('holds a key read for update until its transaction ends, so read-modify-writes do not interleave', async () => {
      const bump = async (s: Stores): Promise<void> => {
        const k = (await s.keys.get('k1', 'signer', true))!;
        await s.keys.update({ ...k, primaryVersion: k.primaryVersion + 1 });
      };
      const order = await lockSequence(backend, uow(), bump, bump);
      expect(order).to.deep.equal(['released', 'first done', 'second locked']);
      expect((await keys().get('k1', 'signer'))!.primaryVersion).to.equal(5);
    });
  });
}
