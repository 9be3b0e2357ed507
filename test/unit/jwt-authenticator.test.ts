import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { CLOCK_TOLERANCE_SECONDS, JwtAuthenticator } from '../../src/auth/jwt-authenticator';
import { VerifiedTokenCache } from '../../src/auth/verified-token-cache';

const SECRET = 'a-test-secret-of-at-least-thirty-two-bytes';
const AUDIENCE = 'attestd';
const T0 = 1_900_000_000;

const token = (claims: Record<string, unknown>, secret = SECRET): string =>
  jwt.sign({ sub: 'alice', aud: AUDIENCE, iat: T0, exp: T0 + 60, roles: { p1: ['viewer'] }, ...claims }, secret, { algorithm: 'HS256' });

describe('JwtAuthenticator: verified tokens remembered until they expire', () => {
  let now: number;
  let auth: JwtAuthenticator;
  beforeEach(() => {
    now = T0;
    auth = new JwtAuthenticator({ key: { secret: SECRET }, audience: AUDIENCE, now: () => now });
  });

  it('answers the same principal for the same token again', () => {
    const t = token({ jti: 'j1' });
    const first = auth.authenticate(`Bearer ${t}`);
    expect(first).to.deep.equal({
      subject: 'alice',
      roles: { p1: ['viewer'] },
      token: { id: 'j1', issueTime: new Date(T0 * 1000).toISOString(), expireTime: new Date((T0 + 60) * 1000).toISOString() },
    });
    expect(auth.authenticate(`Bearer ${t}`)).to.equal(first);
  });

  it('refuses a remembered token once verification would (exp plus the clock tolerance)', () => {
    const t = token({});
    auth.authenticate(`Bearer ${t}`);
    now = T0 + 60 + CLOCK_TOLERANCE_SECONDS - 1;
    expect(auth.authenticate(`Bearer ${t}`)?.subject).to.equal('alice');
    now = T0 + 60 + CLOCK_TOLERANCE_SECONDS;
    expect(() => auth.authenticate(`Bearer ${t}`)).to.throw(/expired at/);
  });

  it('still refuses a token signed with another key after a good token with the same claims', () => {
    auth.authenticate(`Bearer ${token({})}`);
    expect(() => auth.authenticate(`Bearer ${token({}, 'another-secret-of-at-least-thirty-two-bytes')}`)).to.throw(/another key/);
  });

  it('does not remember a refused token', () => {
    const early = token({ nbf: T0 + 120, exp: T0 + 600 });
    expect(() => auth.authenticate(`Bearer ${early}`)).to.throw(/not valid yet/);
    now = T0 + 120;
    expect(auth.authenticate(`Bearer ${early}`)?.subject).to.equal('alice');
  });
});

describe('VerifiedTokenCache', () => {
  it('forgets the oldest token when full', () => {
    const cache = new VerifiedTokenCache(2);
    const p = (subject: string) => ({ subject, roles: {} });
    cache.set('a', p('a'), 100);
    cache.set('b', p('b'), 100);
    cache.set('c', p('c'), 100);
    expect([cache.get('a', 0), cache.get('b', 0)?.subject, cache.get('c', 0)?.subject]).to.deep.equal([undefined, 'b', 'c']);
  });
});
