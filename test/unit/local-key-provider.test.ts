import crypto from 'node:crypto';
import { expect } from 'chai';
import { LocalKeyProvider, PARSED_KEY_TTL_MS } from '../../src/kms/local-key-provider';
import { masterKeyId, type MasterKey } from '../../src/kms/master-key';

const master = (): MasterKey => {
  const key = crypto.randomBytes(32);
  return { key, id: masterKeyId(key) };
};
const DATA = Buffer.from('{"critical":{}}');
const VERSION = 'projects/p/keys/k/versions/1';

// Opened private keys are kept parsed for a while; the cache must never sign with anything but the
// sealed material it is given, under the master key that sealed it.
describe('local key provider', () => {
  let clock = 0;
  const m = master();
  const provider = new LocalKeyProvider(m, () => clock);

  it('signs again and again with the cached key, and every signature verifies', async () => {
    const generated = await provider.generate('EC_P256', VERSION);
    for (let i = 0; i < 3; i++) {
      const sig = await provider.sign(generated.material, generated.materialKeyId, VERSION, 'EC_SIGN_P256_SHA256', DATA);
      expect(crypto.verify('sha256', DATA, { key: generated.publicKeyPem, dsaEncoding: 'der' }, sig)).to.equal(true);
    }
    clock += PARSED_KEY_TTL_MS + 1;
    const sig = await provider.sign(generated.material, generated.materialKeyId, VERSION, 'EC_SIGN_P256_SHA256', DATA);
    expect(crypto.verify('sha256', DATA, { key: generated.publicKeyPem, dsaEncoding: 'der' }, sig)).to.equal(true);
  });

  it('uses the material it is given: another version, or tampered material, is not served from the cache', async () => {
    const a = await provider.generate('EC_P256', VERSION);
    await provider.sign(a.material, a.materialKeyId, VERSION, 'EC_SIGN_P256_SHA256', DATA);
    const b = await provider.generate('EC_P256', VERSION); // same version name, new material (e.g. re-created)
    const sig = await provider.sign(b.material, b.materialKeyId, VERSION, 'EC_SIGN_P256_SHA256', DATA);
    expect(crypto.verify('sha256', DATA, { key: b.publicKeyPem, dsaEncoding: 'der' }, sig)).to.equal(true);
    expect(crypto.verify('sha256', DATA, { key: a.publicKeyPem, dsaEncoding: 'der' }, sig)).to.equal(false);
    const tampered = Buffer.from(a.material);
    tampered[tampered.length - 1]! ^= 1;
    expect(
      await provider.sign(tampered, a.materialKeyId, VERSION, 'EC_SIGN_P256_SHA256', DATA).then(
        () => 'signed',
        () => 'refused',
      ),
    ).to.equal('refused');
  });

  it('refuses material sealed under another master key even after the key was cached by its own provider', async () => {
    const other = new LocalKeyProvider(master(), () => clock);
    const g = await other.generate('EC_P256', VERSION);
    await other.sign(g.material, g.materialKeyId, VERSION, 'EC_SIGN_P256_SHA256', DATA);
    const refused = await provider.sign(g.material, g.materialKeyId, VERSION, 'EC_SIGN_P256_SHA256', DATA).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(refused).to.match(/sealed under master key .* configure the same MASTER_KEY/);
  });
});
