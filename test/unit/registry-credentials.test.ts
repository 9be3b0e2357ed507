import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { ApiError } from '../../src/domain/api-error';
import { loadRegistryCredentials, parseRegistryCredentials } from '../../src/registry/oci/load-registry-credentials';
import { credentialRegistry, type RegistryCredentials } from '../../src/registry/oci/registry-credentials';

const SECRET = 's3cr3t-Pa55';
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const SRC = '/etc/attestd/registry.json';

function failure(text: string): ApiError {
  try {
    parseRegistryCredentials(text, SRC);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the credentials to be refused');
}

describe('registry credentials (.dockerconfigjson)', () => {
  it('reads "auth", "username"/"password" and "identitytoken" entries, keyed by normalized registry', () => {
    const creds = parseRegistryCredentials(
      JSON.stringify({
        auths: {
          '127.0.0.1:5000': { auth: b64(`alice:${SECRET}:x`) },
          'https://index.docker.io/v1/': { username: 'bob', password: SECRET },
          'Registry.Example.com': { identitytoken: 'refresh-1', auth: '' },
        },
      }),
      SRC,
    );
    expect(creds.registries()).to.deep.equal(['127.0.0.1:5000', 'docker.io', 'registry.example.com']);
    expect(creds.secretFor('127.0.0.1:5000')).to.deep.equal({ username: 'alice', password: `${SECRET}:x` });
    expect(creds.basicAuthorization('registry-1.docker.io')).to.equal(`Basic ${b64(`bob:${SECRET}`)}`);
    expect(creds.secretFor('registry.example.com')).to.deep.equal({ identityToken: 'refresh-1' });
    expect(creds.basicAuthorization('registry.example.com')).to.equal(undefined);
    expect(creds.secretFor('other.example')).to.equal(undefined);
  });

  it('reads the older .dockercfg form (no "auths" wrapper)', () => {
    const creds = parseRegistryCredentials(JSON.stringify({ 'quay.io': { auth: b64('u:p'), email: 'x@example.com' } }), SRC);
    expect(creds.secretFor('quay.io')).to.deep.equal({ username: 'u', password: 'p' });
  });

  it('normalizes registry keys as Docker writes them', () => {
    expect(credentialRegistry('https://index.docker.io/v1/')).to.equal('docker.io');
    expect(credentialRegistry('registry-1.docker.io')).to.equal('docker.io');
    expect(credentialRegistry('http://127.0.0.1:5000/v2/')).to.equal('127.0.0.1:5000');
    expect(credentialRegistry('GHCR.io')).to.equal('ghcr.io');
  });

  const bad: Array<{ desc: string; text: string; want: RegExp }> = [
    { desc: 'not JSON', text: `{"auths": {"h": {"auth": "${SECRET}"`, want: /is not valid JSON \(expected a \.dockerconfigjson file/ },
    { desc: 'an array', text: '[]', want: /does not hold a JSON object/ },
    { desc: 'no auths', text: '{"credsStore":"desktop"}', want: /has no "auths" object/ },
    { desc: 'auths not an object', text: '{"auths":[]}', want: /"auths" must be an object/ },
    { desc: 'an entry that is not an object', text: '{"auths":{"h.io":"x"}}', want: /auths\."h\.io" must be an object/ },
    { desc: 'auth that is not base64', text: `{"auths":{"h.io":{"auth":"${SECRET}!"}}}`, want: /auths\."h\.io"\.auth is not base64/ },
    {
      desc: 'auth without a colon',
      text: `{"auths":{"h.io":{"auth":"${b64(SECRET)}"}}}`,
      want: /auths\."h\.io"\.auth does not decode to "username:password"/,
    },
    { desc: 'a username without a password', text: '{"auths":{"h.io":{"username":"u"}}}', want: /has a username without a password/ },
    { desc: 'a field of the wrong type', text: '{"auths":{"h.io":{"password":5}}}', want: /auths\."h\.io"\.password must be a string/ },
    { desc: 'an empty entry (credential helper)', text: '{"auths":{"h.io":{}}}', want: /holds no credentials attestd can use.*credsStore/ },
    {
      desc: 'two keys for one registry with different secrets',
      text: JSON.stringify({ auths: { 'docker.io': { auth: b64('a:b') }, 'https://index.docker.io/v1/': { auth: b64(`a:${SECRET}`) } } }),
      want: /auths keys "docker\.io" and "https:\/\/index\.docker\.io\/v1\/" both name docker\.io with different credentials/,
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.desc} with FAILED_PRECONDITION naming the file, never the secret`, () => {
      const err = failure(c.text);
      expect(err.code).to.equal('FAILED_PRECONDITION');
      expect(err.message).to.match(c.want);
      expect(err.message).to.contain(`registry credentials file "${SRC}"`);
      expect(err.message).to.not.contain(SECRET);
      expect(err.message).to.not.contain(b64(SECRET));
    });
  }

  it('never shows a secret through toString, JSON or util.inspect', () => {
    const creds: RegistryCredentials = parseRegistryCredentials(
      JSON.stringify({ auths: { 'h.io': { username: 'u', password: SECRET }, 'k.io': { identitytoken: SECRET } } }),
      SRC,
    );
    for (const shown of [
      String(creds),
      JSON.stringify(creds),
      inspect(creds, { depth: 10, showHidden: true }),
      inspect({ nested: { creds } }),
    ]) {
      expect(shown).to.not.contain(SECRET);
      expect(shown).to.contain('h.io');
    }
    expect(JSON.parse(JSON.stringify(creds))).to.deep.equal({ source: SRC, registries: ['h.io', 'k.io'] });
  });

  describe('loadRegistryCredentials', () => {
    let dir = '';
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-creds-'));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const loadError = async (file: string): Promise<ApiError> => {
      try {
        await loadRegistryCredentials(file);
      } catch (err) {
        if (err instanceof ApiError) return err;
        throw err;
      }
      throw new Error('expected loading to fail');
    };

    it('loads a Kubernetes-style .dockerconfigjson file', async () => {
      const file = path.join(dir, '.dockerconfigjson');
      fs.writeFileSync(file, JSON.stringify({ auths: { '127.0.0.1:5000': { auth: b64('u:p') } } }));
      const creds = await loadRegistryCredentials(file);
      expect(creds.source).to.equal(file);
      expect(creds.registries()).to.deep.equal(['127.0.0.1:5000']);
    });

    it('says a missing file does not exist, a directory is not a file, and a huge file is refused unread', async () => {
      expect((await loadError(path.join(dir, 'missing.json'))).message).to.match(
        /registry credentials file ".*missing\.json" does not exist/,
      );
      expect((await loadError(dir)).message).to.match(/is a directory, not a file/);
      const huge = path.join(dir, 'huge.json');
      fs.writeFileSync(huge, Buffer.alloc(1024 * 1024 + 1, 0x20));
      expect((await loadError(huge)).message).to.match(/is 1048577 bytes, more than the 1048576-byte limit/);
    });

    it('says a garbled file is not JSON without quoting it', async () => {
      const file = path.join(dir, 'garbled.json');
      fs.writeFileSync(file, `{"auths":{"h.io":{"auth":"${b64(`u:${SECRET}`)}"}`);
      const err = await loadError(file);
      expect(err.code).to.equal('FAILED_PRECONDITION');
      expect(err.message).to.match(/is not valid JSON/);
      expect(err.message).to.not.contain(b64(`u:${SECRET}`));
    });
  });
});
