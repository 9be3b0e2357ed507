import { expect } from 'chai';
import { ApiError } from '../../src/domain/api-error';
import { buildPayload, MAX_PAYLOAD_BYTES, parsePayload } from '../../src/signing/simple-signing';

const D = 'sha256:91a23e497e22785074aa893b0bd052f46354d2c211bed7180247c639f186c51c';

function errorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError, nothing was thrown');
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const critical = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  identity: { 'docker-reference': '127.0.0.1:5000/kritis-demo/alpine' },
  image: { 'docker-manifest-digest': D },
  type: 'atomic container signature',
  ...over,
});

describe('buildPayload', () => {
  it('writes the compact simple-signing JSON byte for byte', () => {
    const bytes = buildPayload({
      repository: '127.0.0.1:5000/kritis-demo/alpine',
      digest: D,
      creator: 'attestd 0.1.0',
      timestamp: 1700000000,
    });
    expect(bytes.toString('utf8')).to.equal(
      '{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/kritis-demo/alpine"},' +
        `"image":{"docker-manifest-digest":"${D}"},"type":"atomic container signature"},` +
        '"optional":{"creator":"attestd 0.1.0","timestamp":1700000000}}',
    );
  });

  it('normalizes the repository and omits a missing creator', () => {
    const claims = JSON.parse(buildPayload({ repository: 'alpine', digest: D, timestamp: 0 }).toString());
    expect(claims.critical.identity['docker-reference']).to.equal('docker.io/library/alpine');
    expect(claims.optional).to.deep.equal({ timestamp: 0 });
  });

  const refused: Array<{ desc: string; input: Parameters<typeof buildPayload>[0]; want: RegExp }> = [
    { desc: 'a tag in the repository', input: { repository: 'alpine:3.11', digest: D, timestamp: 1 }, want: /without tag or digest/ },
    { desc: 'a digest in the repository', input: { repository: `alpine@${D}`, digest: D, timestamp: 1 }, want: /without tag or digest/ },
    { desc: 'a short digest', input: { repository: 'alpine', digest: 'sha256:abc', timestamp: 1 }, want: /64 hex/ },
    { desc: 'a sha512 digest', input: { repository: 'alpine', digest: `sha512:${'a'.repeat(128)}`, timestamp: 1 }, want: /only sha256/ },
    { desc: 'a fractional timestamp', input: { repository: 'alpine', digest: D, timestamp: 1.5 }, want: /Unix seconds/ },
    { desc: 'an upper-case repository', input: { repository: 'gcr.io/ns/App', digest: D, timestamp: 1 }, want: /lower case/ },
    {
      desc: 'an oversized creator',
      input: { repository: 'alpine', digest: D, creator: 'x'.repeat(MAX_PAYLOAD_BYTES), timestamp: 1 },
      want: /exceed/,
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.desc}`, () => {
      const err = errorOf(() => buildPayload(c.input));
      expect(err.code).to.equal('INVALID_ARGUMENT');
      expect(err.message).to.match(c.want);
    });
  }
});

describe('parsePayload', () => {
  it('reads what buildPayload writes', () => {
    const bytes = buildPayload({ repository: 'gcr.io/p/app', digest: D, creator: 'me', timestamp: 5 });
    expect(parsePayload(bytes)).to.deep.equal({ dockerReference: 'gcr.io/p/app', digest: D, type: 'atomic container signature' });
  });

  it("reads gcloud's pretty-printed, key-sorted payload with its trailing newline", () => {
    const text = `${JSON.stringify({ critical: critical({ type: 'Google cloud binauthz container signature' }) }, null, 2)}\n`;
    expect(parsePayload(Buffer.from(text)).type).to.equal('Google cloud binauthz container signature');
  });

  it("reads cosign's simple signing payload with optional null", () => {
    const claims = parsePayload(json({ critical: critical({ type: 'cosign container image signature' }), optional: null }));
    expect(claims).to.deep.equal({
      dockerReference: '127.0.0.1:5000/kritis-demo/alpine',
      digest: D,
      type: 'cosign container image signature',
    });
  });

  const malformed: Array<{ desc: string; bytes: Buffer; want: RegExp }> = [
    { desc: 'empty bytes', bytes: Buffer.alloc(0), want: /not valid JSON/ },
    { desc: 'not JSON', bytes: Buffer.from('{"critical":'), want: /not valid JSON/ },
    { desc: 'invalid UTF-8', bytes: Buffer.from([0x7b, 0xff, 0x7d]), want: /UTF-8/ },
    { desc: 'an array', bytes: json([critical()]), want: /JSON object/ },
    { desc: 'no critical', bytes: json({ optional: {} }), want: /missing "critical"/ },
    { desc: 'critical not an object', bytes: json({ critical: 'x' }), want: /critical must be an object/ },
    {
      desc: 'no identity',
      bytes: json({ critical: { image: critical().image, type: 'atomic container signature' } }),
      want: /missing "identity"/,
    },
    { desc: 'no digest', bytes: json({ critical: critical({ image: {} }) }), want: /missing "docker-manifest-digest"/ },
    {
      desc: 'a numeric reference',
      bytes: json({ critical: critical({ identity: { 'docker-reference': 5 } }) }),
      want: /docker-reference must be a string/,
    },
    { desc: 'an unknown type', bytes: json({ critical: critical({ type: 'my signature' }) }), want: /type "my signature" is not accepted/ },
    { desc: 'an unknown critical field', bytes: json({ critical: critical({ extra: true }) }), want: /unknown field "extra"/ },
    {
      desc: 'an upper-case digest',
      bytes: json({ critical: critical({ image: { 'docker-manifest-digest': D.toUpperCase() } }) }),
      want: /digest/,
    },
    { desc: 'optional as a string', bytes: json({ critical: critical(), optional: 'x' }), want: /optional must be an object/ },
    {
      desc: 'an oversized payload',
      bytes: json({ critical: critical(), optional: { pad: 'x'.repeat(MAX_PAYLOAD_BYTES) } }),
      want: /limit/,
    },
  ];
  for (const c of malformed) {
    it(`refuses ${c.desc}`, () => {
      const err = errorOf(() => parsePayload(c.bytes));
      expect(err.code).to.equal('INVALID_ARGUMENT');
      expect(err.message).to.match(c.want);
    });
  }
});
