import { expect } from 'chai';
import { grantedRoles } from '../../src/identity/role-bindings';

describe('identity provider role bindings', () => {
  const bindings = [
    { claim: 'sub', equals: 'system:serviceaccount:attestd:admission', roles: ['admission'] },
    { claim: 'groups', equals: 'release', roles: ['attestor', 'viewer'] },
    { claim: 'ref', equals: 'refs/heads/main', roles: ['attestor'] },
  ];
  const cases: ReadonlyArray<{ desc: string; claims: Record<string, unknown>; want: Record<string, string[]> }> = [
    { desc: 'a string claim equal to the value', claims: { sub: 'system:serviceaccount:attestd:admission' }, want: { p: ['admission'] } },
    { desc: 'an array claim containing the value', claims: { groups: ['dev', 'release'] }, want: { p: ['attestor', 'viewer'] } },
    {
      desc: 'several bindings: the union, each role once',
      claims: { groups: ['release'], ref: 'refs/heads/main' },
      want: { p: ['attestor', 'viewer'] },
    },
    { desc: 'a string that only contains the value', claims: { sub: 'x-system:serviceaccount:attestd:admission' }, want: {} },
    { desc: 'a number, object or nested array', claims: { groups: [['release']], ref: { v: 'refs/heads/main' } }, want: {} },
  ];
  for (const c of cases) {
    it(`matches ${c.desc}`, () => {
      expect(grantedRoles([{ projectId: 'p', bindings, claims: c.claims }])).to.deep.equal(c.want);
    });
  }

  it('grants per project, for every provider that verified the token', () => {
    const claims = { sub: 'system:serviceaccount:attestd:admission', groups: ['release'] };
    const roles = grantedRoles([
      { projectId: 'b', bindings: [bindings[1]!], claims },
      { projectId: 'a', bindings: [bindings[0]!], claims },
      { projectId: 'a', bindings: [bindings[1]!], claims },
    ]);
    expect(Object.keys(roles)).to.deep.equal(['a', 'b']);
    expect(roles).to.deep.equal({ a: ['admission', 'attestor', 'viewer'], b: ['attestor', 'viewer'] });
  });

  it('never grants through a binding on a claim named like an Object property', () => {
    expect(
      grantedRoles([{ projectId: 'p', bindings: [{ claim: 'constructor', equals: 'x', roles: ['admin'] }], claims: {} }]),
    ).to.deep.equal({});
  });
});
