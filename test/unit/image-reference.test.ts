import { expect } from 'chai';
import fc from 'fast-check';
import { ApiError } from '../../src/domain/api-error';
import {
  canonicalString,
  familiarString,
  fullRepository,
  type ImageReference,
  MAX_NAME_LENGTH,
  normalizeResourceUri,
  parseImageReference,
  resourceUri,
} from '../../src/domain/image-reference';

const D = `sha256:${'0123456789abcdef'.repeat(4)}`;

/** Parses and throws away `written`, which differs between spellings by design. */
function normalized(text: string): Omit<ImageReference, 'written'> {
  const { written: _written, ...rest } = parseImageReference(text);
  return rest;
}

function errorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError, nothing was thrown');
}

describe('parseImageReference', () => {
  const valid: Array<{ desc: string; text: string; want: string; registry: string; repository: string; tag?: string; digest?: string }> = [
    {
      desc: 'Docker Hub short name',
      text: 'alpine',
      want: 'docker.io/library/alpine',
      registry: 'docker.io',
      repository: 'library/alpine',
    },
    {
      desc: 'Docker Hub with tag',
      text: 'alpine:3.11',
      want: 'docker.io/library/alpine:3.11',
      registry: 'docker.io',
      repository: 'library/alpine',
      tag: '3.11',
    },
    { desc: 'Docker Hub user repo', text: 'user/app', want: 'docker.io/user/app', registry: 'docker.io', repository: 'user/app' },
    {
      desc: 'docker.io without library',
      text: 'docker.io/alpine',
      want: 'docker.io/library/alpine',
      registry: 'docker.io',
      repository: 'library/alpine',
    },
    {
      desc: 'index.docker.io alias',
      text: 'index.docker.io/library/alpine',
      want: 'docker.io/library/alpine',
      registry: 'docker.io',
      repository: 'library/alpine',
    },
    {
      desc: 'registry-1.docker.io alias',
      text: 'registry-1.docker.io/alpine',
      want: 'docker.io/library/alpine',
      registry: 'docker.io',
      repository: 'library/alpine',
    },
    {
      desc: 'registry with port',
      text: '127.0.0.1:5000/kritis-demo/alpine',
      want: '127.0.0.1:5000/kritis-demo/alpine',
      registry: '127.0.0.1:5000',
      repository: 'kritis-demo/alpine',
    },
    {
      desc: 'port, tag and digest',
      text: `127.0.0.1:5000/ns/app:3.11@${D}`,
      want: `127.0.0.1:5000/ns/app:3.11@${D}`,
      registry: '127.0.0.1:5000',
      repository: 'ns/app',
      tag: '3.11',
      digest: D,
    },
    {
      desc: 'digest only',
      text: `alpine@${D}`,
      want: `docker.io/library/alpine@${D}`,
      registry: 'docker.io',
      repository: 'library/alpine',
      digest: D,
    },
    { desc: 'localhost', text: 'localhost/app', want: 'localhost/app', registry: 'localhost', repository: 'app' },
    {
      desc: 'localhost with port',
      text: 'localhost:5000/a/b/c',
      want: 'localhost:5000/a/b/c',
      registry: 'localhost:5000',
      repository: 'a/b/c',
    },
    {
      desc: 'upper-case host is lowered',
      text: 'Registry.Example.COM/ns/app',
      want: 'registry.example.com/ns/app',
      registry: 'registry.example.com',
      repository: 'ns/app',
    },
    { desc: 'IPv6 host', text: '[::1]:5000/ns/app', want: '[::1]:5000/ns/app', registry: '[::1]:5000', repository: 'ns/app' },
    {
      desc: 'separators',
      text: 'gcr.io/a.b/c__d/e-f/g---h_i',
      want: 'gcr.io/a.b/c__d/e-f/g---h_i',
      registry: 'gcr.io',
      repository: 'a.b/c__d/e-f/g---h_i',
    },
    {
      desc: 'upper-case tag',
      text: 'app:V1_rc.2-X',
      want: 'docker.io/library/app:V1_rc.2-X',
      registry: 'docker.io',
      repository: 'library/app',
      tag: 'V1_rc.2-X',
    },
    {
      desc: 'host:port without path is name:tag (Docker)',
      text: 'localhost:5000',
      want: 'docker.io/library/localhost:5000',
      registry: 'docker.io',
      repository: 'library/localhost',
      tag: '5000',
    },
  ];
  for (const c of valid) {
    it(`accepts ${c.desc}: ${c.text}`, () => {
      const ref = parseImageReference(c.text);
      expect(canonicalString(ref)).to.equal(c.want);
      expect(ref).to.deep.equal({
        registry: c.registry,
        repository: c.repository,
        written: c.text,
        ...(c.tag !== undefined ? { tag: c.tag } : {}),
        ...(c.digest !== undefined ? { digest: c.digest } : {}),
      });
    });
  }

  const invalid: Array<{ desc: string; text: string; want: RegExp }> = [
    { desc: 'empty', text: '', want: /empty/ },
    { desc: 'colon only', text: ':', want: /tag ""/ },
    { desc: 'space inside', text: 'alpine 3.11', want: /white space/ },
    { desc: 'leading space', text: ' alpine', want: /white space/ },
    { desc: 'trailing slash', text: 'gcr.io/ns/', want: /empty path component/ },
    { desc: 'double slash', text: 'gcr.io/ns//app', want: /empty path component/ },
    { desc: 'registry only', text: 'gcr.io/', want: /no repository name|empty path component/ },
    { desc: 'upper-case repository', text: 'gcr.io/ns/App', want: /must be lower case/ },
    { desc: 'upper-case Docker Hub name', text: 'Alpine', want: /must be lower case/ },
    { desc: 'upper-case dot-less first component', text: 'Foo/bar', want: /lower case.*not a registry host/ },
    { desc: 'short digest', text: 'alpine@sha256:abc', want: /exactly 64 hex digits/ },
    { desc: 'upper-case hex digest', text: `alpine@sha256:${'A'.repeat(64)}`, want: /lower-case hex/ },
    { desc: 'sha512 digest', text: `alpine@sha512:${'a'.repeat(128)}`, want: /only sha256/ },
    { desc: 'digest without algorithm', text: `alpine@${'a'.repeat(64)}`, want: /no algorithm/ },
    { desc: 'empty digest', text: 'alpine@', want: /no algorithm/ },
    { desc: 'two @', text: `alpine@${D}@${D}`, want: /more than one "@"/ },
    { desc: 'bad tag', text: 'alpine:.bad', want: /tag ".bad"/ },
    { desc: 'tag too long', text: `alpine:${'t'.repeat(129)}`, want: /tag/ },
    { desc: 'empty tag', text: 'alpine:', want: /tag ""/ },
    { desc: 'bad separator', text: 'gcr.io/ns/a..b', want: /path component "a..b"/ },
    { desc: 'leading separator', text: 'gcr.io/ns/-app', want: /path component "-app"/ },
    { desc: 'bad host', text: 'bad_host.io/ns/app', want: /registry host/ },
    { desc: 'bad port', text: 'gcr.io:99999/ns/app', want: /port "99999"/ },
    { desc: 'image ID', text: 'a'.repeat(64), want: /image ID/ },
    { desc: 'name too long', text: `gcr.io/${'a/'.repeat(124)}abc`, want: new RegExp(`longer than ${MAX_NAME_LENGTH}`) },
  ];
  for (const c of invalid) {
    it(`refuses ${c.desc}: ${JSON.stringify(c.text.slice(0, 40))}`, () => {
      const err = errorOf(() => parseImageReference(c.text));
      expect(err.code).to.equal('INVALID_ARGUMENT');
      expect(err.message).to.match(c.want);
    });
  }

  it('gives one spelling for every Docker Hub variant', () => {
    const spellings = [
      'alpine',
      'docker.io/alpine',
      'docker.io/library/alpine',
      'index.docker.io/library/alpine',
      'index.docker.io/alpine',
    ];
    for (const s of spellings) expect(fullRepository(parseImageReference(s)), s).to.equal('docker.io/library/alpine');
  });

  it('builds resource URIs without the tag and requires a digest', () => {
    expect(resourceUri(parseImageReference(`alpine:3.11@${D}`))).to.equal(`https://docker.io/library/alpine@${D}`);
    const err = errorOf(() => resourceUri(parseImageReference('alpine:3.11')));
    expect(err.code).to.equal('INVALID_ARGUMENT');
    expect(err.message).to.match(/by digest/);
    expect(normalizeResourceUri(`https://alpine@${D}`)).to.equal(`https://docker.io/library/alpine@${D}`);
    expect(normalizeResourceUri(`http://alpine@${D}`)).to.equal(undefined);
    expect(normalizeResourceUri('https://alpine:3.11')).to.equal(undefined);
  });

  it('prints Docker short names for display', () => {
    expect(familiarString(parseImageReference(`docker.io/library/alpine:3.11@${D}`))).to.equal(`alpine:3.11@${D}`);
    expect(familiarString(parseImageReference('docker.io/user/app'))).to.equal('user/app');
    expect(familiarString(parseImageReference('127.0.0.1:5000/ns/app'))).to.equal('127.0.0.1:5000/ns/app');
  });
});

describe('image reference properties', () => {
  const component = fc.stringMatching(/^[a-z0-9]{1,6}(?:(?:[._]|__|-{1,3})[a-z0-9]{1,6}){0,2}$/);
  const hostLabel = fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?$/);
  const registry = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('docker.io', 'index.docker.io', 'registry-1.docker.io', 'localhost', 'LocalHost', '[::1]', '[fe80::1]:443'),
    fc
      .tuple(fc.array(hostLabel, { minLength: 2, maxLength: 3 }), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
      .map(([labels, port]) => labels.join('.') + (port === undefined ? '' : `:${port}`)),
    fc
      .tuple(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 65535 }))
      .map(([ip, port]) => `${ip.join('.')}:${port}`),
  );
  const tag = fc.option(fc.stringMatching(/^\w[\w.-]{0,20}$/), { nil: undefined });
  const digest = fc.option(
    fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`),
    { nil: undefined },
  );
  const parts = fc.record({ registry, path: fc.array(component, { minLength: 1, maxLength: 4 }), tag, digest });

  it('round-trips generated references to the expected normalized form', () => {
    fc.assert(
      fc.property(parts, ({ registry: reg, path, tag: t, digest: d }) => {
        // Without a registry, a dotted first component would itself be read as a host (Docker's rule).
        fc.pre(reg !== undefined || path.length === 1 || !path[0]!.includes('.'));
        const text =
          (reg === undefined ? '' : `${reg}/`) + path.join('/') + (t === undefined ? '' : `:${t}`) + (d === undefined ? '' : `@${d}`);
        let wantRegistry = (reg ?? 'docker.io').toLowerCase();
        if (wantRegistry === 'index.docker.io' || wantRegistry === 'registry-1.docker.io') wantRegistry = 'docker.io';
        const wantRepository = wantRegistry === 'docker.io' && path.length === 1 ? `library/${path[0]}` : path.join('/');
        fc.pre(`${wantRegistry}/${wantRepository}`.length <= MAX_NAME_LENGTH);
        const ref = parseImageReference(text);
        expect(ref.registry).to.equal(wantRegistry);
        expect(ref.repository).to.equal(wantRepository);
        expect(ref.tag).to.equal(t);
        expect(ref.digest).to.equal(d);
        expect(ref.written).to.equal(text);
        expect(normalized(canonicalString(ref))).to.deep.equal(normalized(text));
        expect(canonicalString(parseImageReference(canonicalString(ref)))).to.equal(canonicalString(ref));
      }),
      { numRuns: 500 },
    );
  });

  /** Only ApiError INVALID_ARGUMENT may escape; anything accepted must be stable under re-parsing. */
  function total(text: string): void {
    let ref: ImageReference;
    try {
      ref = parseImageReference(text);
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'INVALID_ARGUMENT') throw err;
      return;
    }
    expect(normalized(canonicalString(ref))).to.deep.equal(normalized(text));
  }

  it('never throws anything but INVALID_ARGUMENT on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), total), { numRuns: 1000 });
  });

  it('never throws anything but INVALID_ARGUMENT on reference-like strings', () => {
    const unit = fc.constantFrom(
      'a',
      'b',
      'Z',
      '0',
      '9',
      '.',
      '_',
      '-',
      '/',
      ':',
      '@',
      '[',
      ']',
      'sha256:',
      'localhost',
      'docker.io',
      '5000',
      ' ',
    );
    fc.assert(fc.property(fc.string({ unit, maxLength: 30 }), total), { numRuns: 3000 });
  });
});
