import { expect } from 'chai';
import { ApiError } from '../../src/domain/api-error';
import { normalizeRepository, registryEndpoint } from '../../src/registry/oci/registry-endpoint';

describe('registry endpoints and repositories', () => {
  it('reaches Docker Hub at registry-1.docker.io and everything else at its host, https unless told plain HTTP', () => {
    expect(registryEndpoint('docker.io', false)).to.equal('https://registry-1.docker.io');
    expect(registryEndpoint('ghcr.io', false)).to.equal('https://ghcr.io');
    expect(registryEndpoint('127.0.0.1:5000', true)).to.equal('http://127.0.0.1:5000');
    expect(registryEndpoint('[::1]:5000', false)).to.equal('https://[::1]:5000');
  });

  it('normalizes repositories as image references are (Docker Hub aliases, library/, host case)', () => {
    expect(normalizeRepository({ registry: 'docker.io', repository: 'alpine' })).to.deep.equal({
      registry: 'docker.io',
      repository: 'library/alpine',
    });
    expect(normalizeRepository({ registry: 'index.docker.io', repository: 'library/alpine' })).to.deep.equal({
      registry: 'docker.io',
      repository: 'library/alpine',
    });
    expect(normalizeRepository({ registry: 'registry-1.docker.io', repository: 'user/app' })).to.deep.equal({
      registry: 'docker.io',
      repository: 'user/app',
    });
    expect(normalizeRepository({ registry: 'Registry.Example.com:443', repository: 'ns/app' })).to.deep.equal({
      registry: 'registry.example.com:443',
      repository: 'ns/app',
    });
    expect(normalizeRepository({ registry: 'localhost', repository: 'app' })).to.deep.equal({ registry: 'localhost', repository: 'app' });
  });

  const bad: Array<{ registry: string; repository: string; want: RegExp }> = [
    { registry: 'myregistry', repository: 'app', want: /registry "myregistry" is not a registry host/ },
    { registry: '127.0.0.1:5000', repository: 'app:1.0', want: /must be a path without a tag or digest/ },
    { registry: '127.0.0.1:5000', repository: '', want: /empty path component|no repository/ },
    { registry: '127.0.0.1:5000', repository: 'a/../b', want: /path component/ },
  ];
  for (const c of bad) {
    it(`refuses ${JSON.stringify(c.registry)} + ${JSON.stringify(c.repository)}`, () => {
      let thrown: unknown;
      try {
        normalizeRepository(c);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).to.be.instanceOf(ApiError);
      expect((thrown as ApiError).code).to.equal('INVALID_ARGUMENT');
      expect((thrown as ApiError).message).to.match(c.want);
    });
  }
});
