import { expect } from 'chai';
import { peerAddress, rateKey, RateLimiter } from '../../src/transport/rate-limiter';

describe('RateLimiter (token bucket)', () => {
  it('allows the burst, refuses the next call with the wait for one token, and refills over the minute', () => {
    let t = 0;
    const limiter = new RateLimiter(60, 3, () => t);
    expect([1, 2, 3].map(() => limiter.take('sub:a').allowed)).to.deep.equal([true, true, true]);
    expect(limiter.take('sub:a')).to.deep.equal({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('sub:b').allowed, 'another key has its own bucket').to.equal(true);
    t += 1000;
    expect(limiter.take('sub:a').allowed).to.equal(true);
    expect(limiter.take('sub:a').allowed).to.equal(false);
    t += 60_000;
    expect([1, 2, 3, 4].map(() => limiter.take('sub:a').allowed)).to.deep.equal([true, true, true, false]);
  });

  it('says how long to wait at slow rates', () => {
    const limiter = new RateLimiter(2, 1, () => 0);
    limiter.take('ip:x');
    expect(limiter.take('ip:x')).to.deep.equal({ allowed: false, retryAfterSeconds: 30 });
    expect(limiter.refusal('ip:x', 30).code).to.equal('RESOURCE_EXHAUSTED');
  });

  it('keys by subject, else by address', () => {
    expect(rateKey('alice', '10.0.0.1')).to.equal('sub:alice');
    expect(rateKey('', '10.0.0.1')).to.equal('ip:10.0.0.1');
    expect(['ipv4:127.0.0.1:5000', '127.0.0.1:5000', '[::1]:5000', 'ipv6:[::1]:5000'].map(peerAddress)).to.deep.equal([
      '127.0.0.1',
      '127.0.0.1',
      '::1',
      '::1',
    ]);
  });
});
