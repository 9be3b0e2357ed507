import { expect } from 'chai';
import { parseWwwAuthenticate, type AuthChallenge } from '../../src/registry/oci/www-authenticate';

describe('parseWwwAuthenticate', () => {
  const cases: Array<{ desc: string; header: string | null; want: AuthChallenge[] }> = [
    {
      desc: "Docker Hub's Bearer challenge",
      header: 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      want: [
        {
          scheme: 'bearer',
          params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' },
        },
      ],
    },
    {
      desc: 'a scope with several actions (a comma inside quotes) and an error',
      header: 'Bearer realm="https://a/token", service="s", scope="repository:x/y:pull,push", error="insufficient_scope"',
      want: [
        {
          scheme: 'bearer',
          params: { realm: 'https://a/token', service: 's', scope: 'repository:x/y:pull,push', error: 'insufficient_scope' },
        },
      ],
    },
    { desc: 'Basic', header: 'Basic realm="Registry Realm"', want: [{ scheme: 'basic', params: { realm: 'Registry Realm' } }] },
    {
      desc: 'scheme case and unquoted values',
      header: 'BEARER Realm=https://a/t,Service=s',
      want: [{ scheme: 'bearer', params: { realm: 'https://a/t', service: 's' } }],
    },
    { desc: 'escaped quotes', header: 'Basic realm="say \\"hi\\""', want: [{ scheme: 'basic', params: { realm: 'say "hi"' } }] },
    {
      desc: 'two challenges',
      header: 'Negotiate abc==, Basic realm="r"',
      want: [
        { scheme: 'negotiate', params: {} },
        { scheme: 'basic', params: { realm: 'r' } },
      ],
    },
    { desc: 'nothing', header: null, want: [] },
    { desc: 'garbage', header: '=,,"', want: [] },
  ];
  for (const c of cases) {
    it(`parses ${c.desc}`, () => {
      expect(parseWwwAuthenticate(c.header)).to.deep.equal(c.want);
    });
  }
});
