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
export function serverWorkers(stores: AppStores, services: AppServices): Worker[] {
  const { anchors, sequencer, securityLog, decisionRecorder, hookWorker, importWorker, hookRetention, revocations, tokenSightings } =
    services;
  return [
    { name: 'audit anchors', start: () => anchors.start(), stop: () => anchors.stop() },
    { name: 'audit sequencer', start: () => sequencer.start(), stop: () => sequencer.stop() },
    { name: 'security event log', start: () => securityLog.start(), stop: () => securityLog.stop() },
    { name: 'decision recorder', start: () => undefined, stop: () => decisionRecorder.flush() },
    stores.changeListener,
    { name: 'hook worker', start: () => hookWorker.start(), stop: () => hookWorker.stop() },
    { name: 'import worker', start: () => importWorker.start(), stop: () => importWorker.stop() },
    { name: 'hook retention', start: () => hookRetention.start(), stop: () => hookRetention.stop() },
    { name: 'token revocations', start: () => revocations.start(), stop: () => revocations.stop() },
    { name: 'token sightings', start: () => tokenSightings.start(), stop: () => tokenSightings.stop() },
  ];
}
