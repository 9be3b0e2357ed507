import { expect } from 'chai';
import { kindFromMember, oneofMember } from '../../src/proto/oneof-kind';
import { loadProtoRoot } from '../../src/proto/proto-root';
import { fieldJsonName } from '../../src/proto/type-plan';

const root = loadProtoRoot();
const note = root.lookupType('grafeas.v1.Note');
const occurrence = root.lookupType('grafeas.v1.Occurrence');
const noteKind = root.lookupEnum('grafeas.v1.NoteKind');

describe('oneof kind helpers', () => {
  it('kindFromMember turns camelCase into UPPER_SNAKE', () => {
    expect(kindFromMember('dsseAttestation')).to.equal('DSSE_ATTESTATION');
    expect(kindFromMember('vulnerabilityAssessment')).to.equal('VULNERABILITY_ASSESSMENT');
    expect(kindFromMember('sbomReference')).to.equal('SBOM_REFERENCE');
    expect(kindFromMember('attestation')).to.equal('ATTESTATION');
  });

  for (const [type, oneof] of [
    [note, 'type'],
    [occurrence, 'details'],
  ] as const) {
    it(`every ${type.name}.${oneof} member maps to a defined NoteKind`, () => {
      const members = type.oneofs[oneof]!.fieldsArray.map(fieldJsonName);
      expect(members.length).to.be.greaterThan(10);
      for (const member of members) expect(noteKind.values, member).to.have.property(kindFromMember(member));
    });
  }

  it('oneofMember names the member that is set, by JSON name', () => {
    expect(oneofMember(occurrence, 'details', { name: 'x', dsseAttestation: {} })).to.equal('dsseAttestation');
    expect(oneofMember(note, 'type', { sbomReference: {}, attestation: null })).to.equal('sbomReference');
    expect(oneofMember(note, 'type', { attestation: null, shortDescription: 'x' })).to.equal(undefined);
    expect(() => oneofMember(note, 'nope', {})).to.throw(Error, 'no oneof nope');
  });
});
