import { expect } from 'chai';
import type { JsonObject } from '../../src/domain/message-types';
import { compileCondition, compiledCondition, ConditionSyntaxError, MAX_CONDITION_LENGTH } from '../../src/policies/attestation-condition';
import { parseAttestationRequirements } from '../../src/policies/attestation-requirements';
import type { VerifyInput } from '../../src/verification/verdict';
import { memoryServices, type MemoryServices } from '../support/memory-services';
import { apiError } from '../support/outcome';
import { fixtureBytes, fixtureJson, MANIFEST } from '../support/supply-chain-fixtures';

const IMAGE = `${MANIFEST.image.repository}@${MANIFEST.image.digest}`;
const SLSA_V1 = 'https://slsa.dev/provenance/v1';
const BUILDER = 'https://builder.example.com/attestd-fixture-builder@v1';
const publicKeys = [{ pem: fixtureBytes('keys/ecdsa-p256.pub.pem').toString('utf8'), algorithm: 'ECDSA_P256_SHA256' }];
const statement = fixtureJson('dsse/statement-slsa-v1.json') as { predicate: Record<string, unknown>; subject: JsonObject[] };
const input = {
  statement: statement as unknown as Record<string, unknown>,
  predicate: statement.predicate,
  subject: statement.subject[0]!,
  image: { reference: IMAGE, repository: MANIFEST.image.repository, digest: MANIFEST.image.digest },
};
/** Ten thousand elements: nested twice, a hundred million iterations without the cost limit. */
const BIG = `[${Array.from({ length: 60 }, (_, i) => i).join(',')}]`;

describe('CEL conditions of attestation requirements', () => {
  const holds: Array<[string, boolean, string?]> = [
    [`predicate.runDetails.builder.id == '${BUILDER}'`, true],
    [`statement.predicateType == '${SLSA_V1}' && subject.digest.sha256 == '${MANIFEST.image.digest.slice(7)}'`, true],
    [`image.repository == '${MANIFEST.image.repository}' && image.digest.startsWith('sha256:')`, true],
    ["predicate.buildDefinition.resolvedDependencies.exists(d, d.uri.startsWith('git+https://git.example.com/attestd/'))", true],
    ["predicate.runDetails.builder.id == 'https://other.example'", false, `builder.id was '${BUILDER}'`],
    [
      "predicate.buildDefinition.externalParameters.repository.startsWith('https://github.com/acme/')",
      false,
      "externalParameters.repository was 'https://git.example.com/attestd/demo'",
    ],
    ["has(predicate.runDetails) && predicate.runDetails.nothing == 'x'", false, 'condition failed: field not found: nothing'],
    ['predicate.absent.deeper == 1', false, 'condition failed: field not found: absent'],
    ['9223372036854775807 + 1 > 0', false, 'condition failed: int overflow during _+_'],
    ['1 / 0 == 1', false, 'condition failed: int divide by zero'],
    [`${BIG}.all(a, ${BIG}.all(b, ${BIG}.all(c, a + b + c >= 0)))`, false, 'condition failed: the condition exceeds its cost limit'],
    ["'a string'", false, "condition failed: it gave 'a string', not a bool"],
    ['has(predicate.nothing)', false, 'has(predicate.nothing) is false'],
  ];
  for (const [source, want, why] of holds) {
    it(`${want ? 'holds' : 'fails cleanly'}: ${source.slice(0, 90)}`, () => {
      const verdict = compileCondition(source).evaluate(input);
      expect(verdict.holds, JSON.stringify(verdict)).to.equal(want);
      if (!verdict.holds && why !== undefined) expect(verdict.why).to.contain(why);
    });
  }

  const refused: Array<[string, string]> = [
    ['predicate.x ==', '<input>:1:'],
    ["builder.id == 'x'", "undeclared reference to 'builder' (the variables are statement, predicate, subject, image)"],
    ['x' + ' || x'.repeat(MAX_CONDITION_LENGTH / 5 + 1), `longer than ${MAX_CONDITION_LENGTH} characters`],
    [`${'('.repeat(1500)}true${')'.repeat(1500)}`, 'it nests too deeply'],
  ];
  for (const [source, message] of refused) {
    it(`does not compile: ${source.slice(0, 40)}`, () => {
      expect(() => compileCondition(source))
        .to.throw(ConditionSyntaxError)
        .with.property('message')
        .that.contains(message);
    });
  }

  it('compiles a condition once when its policy is written, and evaluation shares that compiled form', () => {
    const source = `predicate.runDetails.builder.id == '${BUILDER}' && image.digest.size() > 7`;
    parseAttestationRequirements([{ witness: 'projects/p/witnesses/ci', predicateType: SLSA_V1, condition: source }], 'p');
    const atWrite = compiledCondition(source);
    expect(compiledCondition(source)).to.equal(atWrite);
    expect(atWrite.evaluate(input)).to.deep.equal({ holds: true });
    // The cache is bounded: after a thousand other conditions the first one compiles again (a new instance).
    for (let i = 0; i < 1000; i++) compiledCondition(`image.digest.size() > ${i}`);
    expect(compiledCondition(source)).to.not.equal(atWrite);
  });
});

/** Policies with attestation requirements over the SLSA fixture, at :verifyImages on the memory backend. */
describe('policy attestation requirements (memory backend)', () => {
  let s: MemoryServices;
  const policy = (id: string, body: JsonObject) =>
    s.policies.create(s.admin, 'projects/p', id, { cluster: 'c1', namespaces: [id], enabled: true, ...body });
  const requirement = (condition: string, extra: JsonObject = {}) => ({
    witness: 'projects/p/witnesses/ci',
    predicateType: SLSA_V1,
    condition,
    ...extra,
  });
  const verify = async (namespace: string, images = [IMAGE]) => {
    const body: VerifyInput = { cluster: 'c1', namespace, images, breakglass: false, source: 'verifyImages' };
    return (await s.verification.verify(s.admin, 'projects/p', body)).results[0]!;
  };

  before(async () => {
    s = memoryServices();
    await s.projects.create(s.admin, 'projects/p');
    await s.clusters.create(s.admin, 'projects/p', 'c1', {});
    await s.notes.create(s.admin, 'projects/p', 'build', { kind: 'BUILD', build: { builderVersion: 'v1' } });
    await s.witnesses.create(s.admin, 'projects/p', 'ci', { publicKeys, notes: ['projects/p/notes/build'] });
    await s.witnesses.create(s.admin, 'projects/p', 'old', { publicKeys });
    await s.witnesses.create(s.admin, 'projects/p', 'idle', { publicKeys });
    const build = fixtureJson('grafeas/occurrence-build-slsa-v1.json') as JsonObject;
    await s.occurrences.create(s.admin, 'projects/p', { ...build, noteName: 'projects/p/notes/build' });
    // A validly signed statement typed SLSA v0.2, by witness "old".
    await s.occurrences.create(s.admin, 'projects/p', {
      resourceUri: `https://${IMAGE}`,
      noteName: 'projects/p/notes/old',
      kind: 'ATTESTATION',
      attestation: {},
      envelope: fixtureJson('negative/dsse-predicate-type-v0.2-with-v1-body.json'),
    });
  });

  it('accepts a policy with only attestation requirements, shows them, and refuses a policy requiring nothing', async () => {
    const created = await policy('builder', { attestations: [requirement(`predicate.runDetails.builder.id == '${BUILDER}'`)] });
    expect(created.witnesses).to.deep.equal([]);
    expect(created.attestations).to.deep.equal([requirement(`predicate.runDetails.builder.id == '${BUILDER}'`)]);
    const nothing = await apiError(policy('nothing', {}));
    expect(nothing.code).to.equal('INVALID_ARGUMENT');
    expect(nothing.message).to.match(
      /^a policy must have at least one of policy\.witnesses .*, policy\.attestations .* or policy\.vulnerabilities/,
    );
  });

  const bad: Array<[string, JsonObject, string]> = [
    [
      'a condition that does not parse',
      { attestations: [requirement('predicate.x ==')] },
      'policy.attestations[0].condition does not compile: <input>:1:',
    ],
    [
      'a condition naming an unknown variable',
      { attestations: [requirement("runDetails.builder.id == 'x'")] },
      "policy.attestations[0].condition does not compile: undeclared reference to 'runDetails'",
    ],
    ['no predicateType', { attestations: [requirement('', { predicateType: '' })] }, 'policy.attestations[0].predicateType is required'],
    [
      'a witness of another project',
      { attestations: [requirement('', { witness: 'projects/q/witnesses/ci' })] },
      'policy.attestations[0].witness projects/q/witnesses/ci is in another project',
    ],
    ['a requirement that is not a message', { attestations: ['ci'] }, 'policy.attestations[0] must be an AttestationRequirement message'],
  ];
  for (const [desc, body, message] of bad) {
    it(`refuses ${desc} with INVALID_ARGUMENT`, async () => {
      const err = await apiError(policy('bad', body));
      expect(err.code).to.equal('INVALID_ARGUMENT');
      expect(err.message).to.contain(message);
    });
  }

  it('refuses a PATCH to a condition that does not compile and keeps the policy as it was', async () => {
    const before = await policy('patched', { attestations: [requirement('')] });
    const err = await apiError(
      s.policies.update(s.admin, 'projects/p/policies/patched', { attestations: [requirement('predicate.(')] }, ['attestations']),
    );
    expect(err.code).to.equal('INVALID_ARGUMENT');
    expect(err.message).to.match(/^policy\.attestations\[0\]\.condition does not compile: <input>:1:/);
    expect(await s.policies.get(s.admin, 'projects/p/policies/patched')).to.deep.equal(before);
  });

  it('refuses to delete a witness a requirement names', async () => {
    const err = await apiError(s.witnesses.delete(s.admin, 'projects/p/witnesses/ci', {}));
    expect(err.code).to.equal('FAILED_PRECONDITION');
    expect(err.message).to.contain('projects/p/policies/builder');
  });

  const verdicts: Array<[ns: string, body: JsonObject, allowed: boolean, reason: string, message: string]> = [
    ['builder', {}, true, 'ATTESTED', `${IMAGE} is attested by projects/p/witnesses/ci`],
    [
      'other-builder',
      { attestations: [requirement("predicate.runDetails.builder.id == 'https://other.example'")] },
      false,
      'REQUIREMENT_NOT_MET',
      `image ${IMAGE} does not satisfy policy other-builder: no ${SLSA_V1} attestation by witness ci meets its condition (builder.id was '${BUILDER}')`,
    ],
    ['any-statement', { attestations: [requirement('')] }, true, 'ATTESTED', `${IMAGE} is attested by projects/p/witnesses/ci`],
    [
      'v02-required',
      { attestations: [requirement('', { witness: 'projects/p/witnesses/old' })] },
      false,
      'REQUIREMENT_NOT_MET',
      `image ${IMAGE} does not satisfy policy v02-required: no ${SLSA_V1} attestation by witness old (its statements about the image are of predicateType https://slsa.dev/provenance/v0.2)`,
    ],
    [
      'absent-field',
      { attestations: [requirement("predicate.runDetails.nothing.id == 'x'")] },
      false,
      'REQUIREMENT_NOT_MET',
      `image ${IMAGE} does not satisfy policy absent-field: no ${SLSA_V1} attestation by witness ci meets its condition (condition failed: field not found: nothing)`,
    ],
    [
      'loops',
      { attestations: [requirement(`${BIG}.all(a, ${BIG}.all(b, ${BIG}.all(c, a >= 0)))`)] },
      false,
      'REQUIREMENT_NOT_MET',
      'meets its condition (condition failed: the condition exceeds its cost limit of 100000 iterations)',
    ],
    [
      'nothing-attested',
      { attestations: [requirement('', { witness: 'projects/p/witnesses/idle' })] },
      false,
      'NOT_ATTESTED',
      'projects/p/witnesses/idle: no attestation found',
    ],
    [
      'witness-and-requirement',
      { witnesses: ['projects/p/witnesses/old'], attestations: [requirement(`predicate.runDetails.builder.id == '${BUILDER}'`)] },
      true,
      'ATTESTED',
      `${IMAGE} is attested by projects/p/witnesses/old, projects/p/witnesses/ci`,
    ],
    [
      'witness-fails-first',
      { witnesses: ['projects/p/witnesses/idle'], attestations: [requirement('')] },
      false,
      'NOT_ATTESTED',
      'projects/p/witnesses/idle: no attestation found',
    ],
  ];
  for (const [ns, body, allowed, reason, message] of verdicts) {
    it(`${allowed ? 'admits' : 'denies'} under policy ${ns}`, async () => {
      if (Object.keys(body).length > 0) await policy(ns, body);
      const r = await verify(ns);
      expect({ allowed: r.allowed, reason: r.reason }, r.message).to.deep.equal({ allowed, reason });
      expect(r.message).to.contain(message);
    });
  }

  it('denies an image by tag and admits an allowlisted one whatever the requirements', async () => {
    expect((await verify('builder', [`${MANIFEST.image.repository}:latest`])).reason).to.equal('TAG_REFERENCE');
    await policy('allow', { attestations: [requirement('false')], allowlist: ['registry.example.com/attestd/*'] });
    expect((await verify('allow')).reason).to.equal('ALLOWLISTED');
  });
});
