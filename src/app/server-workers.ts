import type { AppServices } from './create-services';
import type { AppStores } from './create-stores';
import type { Worker } from './worker';

/**
 * The background workers of a server, in start order; they stop in reverse, after the transports. The order
 * is the dependency order: each may write what those before it handle at their own stop — the anchors record
 * the chain heads the sequencer leaves, the sequencer chains the events the security log and the decision
 * recorder write last, and nothing that signs or records outlives the database (the first item of the list
 * the server starts, see main.ts).
 */
export function serverWorkers(stores: AppStores, services: AppServices, options: { background: boolean } = { background: true }): Worker[] {
  const {
    anchors,
    sequencer,
    securityLog,
    decisionRecorder,
    hookWorker,
    importWorker,
    hookRetention,
    revocations,
    tokenSightings,
    providerTable,
  } = services;
  // The background jobs run in one process of a `serve --workers N` group (they sweep what the others commit);
  // every process keeps its own buffers, its revocation list, its identity providers and its view of the change feed.
  const background = (w: Worker): Worker[] => (options.background ? [w] : []);
  return [
    ...background({ name: 'audit anchors', start: () => anchors.start(), stop: () => anchors.stop() }),
    ...background({ name: 'audit sequencer', start: () => sequencer.start(), stop: () => sequencer.stop() }),
    { name: 'security event log', start: () => securityLog.start(), stop: () => securityLog.stop() },
    { name: 'decision recorder', start: () => undefined, stop: () => decisionRecorder.flush() },
    stores.changeListener,
    ...background({ name: 'hook worker', start: () => hookWorker.start(), stop: () => hookWorker.stop() }),
    ...background({ name: 'import worker', start: () => importWorker.start(), stop: () => importWorker.stop() }),
    ...background({ name: 'hook retention', start: () => hookRetention.start(), stop: () => hookRetention.stop() }),
    { name: 'token revocations', start: () => revocations.start(), stop: () => revocations.stop() },
    { name: 'identity providers', start: () => providerTable.start(), stop: () => providerTable.stop() },
    { name: 'token sightings', start: () => tokenSightings.start(), stop: () => tokenSightings.stop() },
  ];
}
