import cluster from 'node:cluster';
import { NO_SIBLINGS, type Siblings } from '../domain/siblings';
import { isDeliver, isPublished, type DeliveredMessage, type PublishMessage } from './sibling-messages';

/** How long a publication waits for the siblings before it resolves anyway (a sibling stuck in a long task). */
const PUBLISH_WAIT_MS = 2000;

/**
 * The siblings of this process when it is a worker of a serve group: messages go through the primary, which hands
 * each to every other worker and answers once they have all run it (src/cli/serve-group.ts). Outside a group, none.
 */
export function workerSiblings(): Siblings {
  if (!cluster.isWorker) return NO_SIBLINGS;
  const handlers = new Map<string, Array<(payload: unknown) => void>>();
  const waiting = new Map<number, () => void>();
  let nextId = 0;
  process.on('message', (m: unknown) => {
    if (isPublished(m)) {
      waiting.get(m.id)?.();
      return;
    }
    if (!isDeliver(m)) return;
    for (const handler of handlers.get(m.topic) ?? []) handler(m.payload);
    process.send?.({ attestd: 'delivered', id: m.id, from: m.from } satisfies DeliveredMessage);
  });
  return {
    publish: (topic, payload) =>
      new Promise<void>((resolve) => {
        const id = ++nextId;
        const done = (): void => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve();
        };
        const timer = setTimeout(done, PUBLISH_WAIT_MS);
        timer.unref();
        waiting.set(id, done);
        if (!process.connected) return done();
        process.send?.({ attestd: 'publish', id, topic, payload } satisfies PublishMessage);
      }),
    subscribe: (topic, handler) => {
      handlers.set(topic, [...(handlers.get(topic) ?? []), handler]);
    },
  };
}
