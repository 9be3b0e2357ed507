import { expect } from 'chai';
import type { Worker as ClusterWorker } from 'node:cluster';
import { SiblingRelay } from '../../src/cli/sibling-relay';

/** A stand-in for a cluster worker that records what the primary sends it. */
function worker(connected = true): ClusterWorker & { sent: unknown[] } {
  const sent: unknown[] = [];
  return { sent, send: (m: unknown) => sent.push(m) !== 0, isConnected: () => connected } as unknown as ClusterWorker & { sent: unknown[] };
}

describe('SiblingRelay (the primary of a serve group)', () => {
  it('hands a publication to every other worker and answers the publisher once all have run it', () => {
    const workers = new Map([
      [0, worker()],
      [1, worker()],
      [2, worker()],
    ]);
    const relay = new SiblingRelay(workers);
    expect(relay.handle(1, { attestd: 'publish', id: 7, topic: 't', payload: { jti: 'x' } })).to.equal(true);
    expect(workers.get(1)!.sent).to.deep.equal([]);
    for (const i of [0, 2])
      expect(workers.get(i)!.sent).to.deep.equal([{ attestd: 'deliver', id: 7, from: 1, topic: 't', payload: { jti: 'x' } }]);
    relay.handle(0, { attestd: 'delivered', id: 7, from: 1 });
    expect(workers.get(1)!.sent).to.deep.equal([]);
    relay.handle(2, { attestd: 'delivered', id: 7, from: 1 });
    expect(workers.get(1)!.sent).to.deep.equal([{ attestd: 'published', id: 7 }]);
  });

  it('stops waiting for a worker that exits, and answers a lone worker at once', () => {
    const workers = new Map([
      [0, worker()],
      [1, worker()],
    ]);
    const relay = new SiblingRelay(workers);
    relay.handle(0, { attestd: 'publish', id: 1, topic: 't', payload: null });
    workers.delete(1);
    relay.gone(1);
    expect(workers.get(0)!.sent).to.deep.equal([{ attestd: 'published', id: 1 }]);
    relay.handle(0, { attestd: 'publish', id: 2, topic: 't', payload: null });
    expect(workers.get(0)!.sent).to.deep.include({ attestd: 'published', id: 2 });
  });

  it('leaves other messages to the group and ignores malformed ones', () => {
    const relay = new SiblingRelay(new Map([[0, worker()]]));
    expect(relay.handle(0, { attestd: 'ready' })).to.equal(false);
    expect(relay.handle(0, { attestd: 'publish', id: 'x', topic: 't' })).to.equal(false);
    expect(relay.handle(0, null)).to.equal(false);
  });
});
