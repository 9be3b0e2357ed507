import type { Worker as ClusterWorker } from 'node:cluster';
import { isDelivered, isPublish, type DeliverMessage, type PublishedMessage } from '../app/sibling-messages';

/**
 * In the primary of a serve group: hands what one worker publishes to every other worker and tells the publisher
 * once they have all run it; a worker that exits meanwhile is no longer waited for.
 */
export class SiblingRelay {
  /** `${from}:${id}` → the workers that have not yet run it. */
  private readonly pending = new Map<string, { from: number; id: number; waiting: Set<number> }>();

  constructor(private readonly workers: ReadonlyMap<number, ClusterWorker>) {}

  /** Handles a worker's message if it is one of the relay's; answers whether it was. */
  handle(index: number, m: unknown): boolean {
    if (isPublish(m)) {
      const waiting = new Set([...this.workers.keys()].filter((i) => i !== index));
      const key = `${index}:${m.id}`;
      this.pending.set(key, { from: index, id: m.id, waiting });
      for (const i of waiting) {
        this.workers
          .get(i)
          ?.send({ attestd: 'deliver', id: m.id, from: index, topic: m.topic, payload: m.payload } satisfies DeliverMessage);
      }
      this.settle(key);
      return true;
    }
    if (isDelivered(m)) {
      const key = `${m.from}:${m.id}`;
      this.pending.get(key)?.waiting.delete(index);
      this.settle(key);
      return true;
    }
    return false;
  }

  /** A worker exited: nothing waits for it any more. */
  gone(index: number): void {
    for (const [key, p] of this.pending) {
      if (p.from === index) this.pending.delete(key);
      else {
        p.waiting.delete(index);
        this.settle(key);
      }
    }
  }

  private settle(key: string): void {
    const p = this.pending.get(key);
    if (!p || p.waiting.size > 0) return;
    this.pending.delete(key);
    const publisher = this.workers.get(p.from);
    if (publisher?.isConnected()) publisher.send({ attestd: 'published', id: p.id } satisfies PublishedMessage);
  }
}
