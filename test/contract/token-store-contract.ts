import { expect } from 'chai';
import type { TokenRecord } from '../../src/domain/stores/token-store';
import type { StoreBackend } from './backends';
import { at, expectBadToken, tampered, useDatabase } from './contract-fixtures';

const seen = (jti: string, n: number, extra: Partial<TokenRecord> = {}): TokenRecord => ({
  jti,
  subject: `sub-${jti}`,
  roles: { '*': ['viewer'], p1: ['admin', 'attestor'] },
  issueTime: at(n),
  expireTime: at(n + 100),
  recordTime: at(n + 1),
  revokeTime: undefined,
  revokedBy: '',
  ...extra,
});

/** What every TokenStore must do: record seen tokens once, page them, revoke (seen or not) once, list revocations in force. */
export function tokenStoreContract(backend: StoreBackend): void {
  describe(`token store contract (${backend.name})`, function () {
    this.timeout(60000);
    const { uow } = useDatabase(backend);
    const tokens = () => uow().stores.tokens;

    it('records a token once: a second sighting changes nothing', async () => {
      await tokens().recordSeen([seen('t-1', 1)]);
      await tokens().recordSeen([seen('t-1', 5, { subject: 'other' }), seen('t-2', 2)]);
      expect(await tokens().get('t-1')).to.deep.equal(seen('t-1', 1));
      expect(await tokens().get('t-2')).to.deep.equal(seen('t-2', 2));
      expect(await tokens().get('t-3')).to.equal(undefined);
    });

    it('pages tokens in jti order with tokens only this list accepts', async () => {
      await tokens().recordSeen(['c', 'a', 'e', 'b', 'd'].map((j, i) => seen(j, i)));
      // t-1 and t-2 of the test before sort after these.
      const first = await tokens().list(2, undefined);
      const second = await tokens().list(2, first.nextPageToken);
      const third = await tokens().list(3, second.nextPageToken);
      expect([...first.items, ...second.items, ...third.items].map((t) => t.jti)).to.deep.equal(['a', 'b', 'c', 'd', 'e', 't-1', 't-2']);
      expect(third.nextPageToken).to.equal('');
      await expectBadToken(tokens().list(2, tampered(first.nextPageToken)));
    });

    it('revokes a seen token once: revoking again keeps the first time and revoker', async () => {
      await tokens().recordSeen([seen('r-1', 1)]);
      const revoked = await tokens().revoke('r-1', at(50), 'alice');
      expect(revoked).to.deep.equal(seen('r-1', 1, { revokeTime: at(50), revokedBy: 'alice' }));
      expect(await tokens().revoke('r-1', at(60), 'bob')).to.deep.equal(revoked);
      expect(await tokens().get('r-1')).to.deep.equal(revoked);
      // A later sighting does not undo the revocation.
      await tokens().recordSeen([seen('r-1', 1)]);
      expect(await tokens().get('r-1')).to.deep.equal(revoked);
    });

    it('revokes a jti never seen, with no expiry, and lists revocations in force at a time', async () => {
      const unseen = await tokens().revoke('u-1', at(10), 'alice');
      expect(unseen).to.deep.equal({
        jti: 'u-1',
        subject: '',
        roles: {},
        issueTime: undefined,
        expireTime: undefined,
        recordTime: at(10),
        revokeTime: at(10),
        revokedBy: 'alice',
      });
      await tokens().recordSeen([seen('live', 1), seen('gone', 1, { expireTime: at(20) }), seen('kept', 1)]);
      await tokens().revoke('live', at(11), 'alice');
      await tokens().revoke('gone', at(12), 'alice');
      const inForce = await tokens().revocations(at(30));
      // r-1 of the test before is in force too (it expires at 101).
      expect(inForce.map((r) => r.jti).sort()).to.deep.equal(['live', 'r-1', 'u-1']);
      expect(inForce.find((r) => r.jti === 'live')).to.deep.equal({ jti: 'live', revokeTime: at(11), expireTime: at(101) });
      expect(inForce.find((r) => r.jti === 'u-1')).to.deep.equal({ jti: 'u-1', revokeTime: at(10) });
    });

    it('refuses NUL in a subject as Postgres refuses it in text', async () => {
      let failed = false;
      try {
        await tokens().recordSeen([seen('nul', 1, { subject: 'a\u0000b' })]);
      } catch {
        failed = true;
      }
      expect(failed).to.equal(true);
    });
  });
}
