import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { createServices, serviceStores } from '../../src/app/create-services';
import { createStores } from '../../src/app/create-stores';
import { loadConfig } from '../../src/config';
import { internalContext, type RequestContext } from '../../src/domain/request-context';
import type { Occurrence } from '../../src/domain/message-types';
import type { Stores, UnitOfWork } from '../../src/domain/stores/unit-of-work';
import type { KeyService } from '../../src/kms/key-service';
import { silentLogger } from '../../src/logger';
import type { HookService } from '../../src/registry/hook-service';
import { HookWorker, type HookWorkerOptions } from '../../src/registry/hook-worker';
import { openDatabase } from '../../src/store/database';
import { systemClock } from '../../src/domain/clock';
import type { AttestItem, AttestService } from '../../src/witnesses/attest-service';
import { defaultBackend } from '../support/test-database';
import { CAPTURED_DIGEST } from './registry-support';

/** The attest service, counting the images it is asked to attest; it can be told to fail a call (before or after writing). */
export class CountingAttest {
  calls = 0;
  /** Each entry fails one call: 'before' throws before signing, 'after' after the occurrence is written (then rolled back). */
  failures: Array<'before' | 'after'> = [];
  /** While set, each call waits for it before signing, its transaction open (a test holds the workers busy). */
  hold: Promise<void> | undefined;

  constructor(private readonly inner: AttestService) {}

  async attestMany(stores: Stores, items: readonly AttestItem[]): Promise<Occurrence[]> {
    this.calls += items.length;
    await this.hold;
    const failure = this.failures.shift();
    if (failure === 'before') throw new Error('simulated transient failure');
    const occ = await this.inner.attestMany(stores, items);
    if (failure === 'after') throw new Error('simulated crash after signing, before commit');
    return occ;
  }
}

/** Services on a scratch database, with no server (so no worker runs unless a test starts one). */
export interface OutboxHarness {
  /** A pool of its own on the scratch database, for the tests' direct queries. */
  readonly knex: Knex;
  readonly uow: UnitOfWork;
  readonly attest: CountingAttest;
  readonly hooks: HookService;
  readonly keys: KeyService;
  readonly ctx: RequestContext;
  worker(options?: HookWorkerOptions): HookWorker;
  /** A distribution envelope with one manifest push. */
  push(id: string, repository: string, digest?: string): Record<string, unknown>;
  statuses(): Promise<Record<string, number>>;
  occurrences(): Promise<number>;
  close(): Promise<void>;
}

export const PROJECT = 'outbox';
export const WITNESS = 'signer';

export async function outboxHarness(): Promise<OutboxHarness> {
  const config = loadConfig({
    DATABASE_URL: await defaultBackend().createDatabase(),
    DATABASE_POOL_MAX: '12',
    MASTER_KEY: crypto.randomBytes(32).toString('base64'),
    DATA_DIR: '/nonexistent',
    LOG_LEVEL: 'silent',
  });
  // The server's own pieces, none of its workers started: tests run hook workers of their own.
  const stores = await createStores(config, silentLogger());
  const services = createServices(serviceStores(stores), config, silentLogger());
  const knex = openDatabase({ url: stores.databaseUrl, poolMax: 4 });
  const attest = new CountingAttest(services.attest);
  const ctx = internalContext('test', 'registry-notifier');
  await services.projects.create(ctx, `projects/${PROJECT}`);
  await services.keys.create(ctx, `projects/${PROJECT}`, 'k', { keySpec: 'EC_P256' });
  await services.witnesses.create(ctx, `projects/${PROJECT}`, WITNESS, { key: `projects/${PROJECT}/keys/k` });
  await services.signingRules.create(ctx, `projects/${PROJECT}`, 'demo', {
    registry: '127.0.0.1:5000',
    namespace: 'kritis-demo',
    witness: `projects/${PROJECT}/witnesses/${WITNESS}`,
    enabled: true,
  });
  return {
    knex,
    uow: stores.uow,
    attest,
    hooks: services.hooks,
    keys: services.keys,
    ctx,
    worker: (options = {}) =>
      new HookWorker(stores.uow, attest, systemClock, silentLogger(), undefined, { pollMs: 50, backoffMs: 0, ...options }),
    push: (id, repository, digest = CAPTURED_DIGEST) => ({
      events: [
        {
          id,
          action: 'push',
          target: {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest,
            repository,
            url: `http://127.0.0.1:5000/v2/${repository}/manifests/${digest}`,
          },
          request: { host: '127.0.0.1:5000', method: 'PUT' },
          source: { addr: 'vm:5000' },
        },
      ],
    }),
    statuses: async () => {
      const rows: { status: string; n: string }[] = await knex('hook_signings').select('status').count({ n: '*' }).groupBy('status');
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
    occurrences: async () =>
      Number(((await knex('occurrences').where({ project_id: PROJECT }).count({ n: '*' }).first()) as { n: string }).n),
    close: async () => {
      await knex.destroy();
      // Commits wake the audit sequencer (as in the server): let it finish before the pool closes.
      await services.sequencer.stop();
      await stores.close();
    },
  };
}

export const digestOf = (i: number): string => `sha256:${crypto.createHash('sha256').update(String(i)).digest('hex')}`;
