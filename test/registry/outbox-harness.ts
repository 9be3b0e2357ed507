import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { AuditRecorder } from '../../src/audit/audit-recorder';
import { Access } from '../../src/auth/access';
import { systemClock } from '../../src/domain/clock';
import { internalContext, type RequestContext } from '../../src/domain/request-context';
import type { Occurrence } from '../../src/domain/message-types';
import { KeyService } from '../../src/kms/key-service';
import { LocalKeyProvider } from '../../src/kms/local-key-provider';
import { loadMasterKey } from '../../src/kms/master-key';
import { silentLogger } from '../../src/logger';
import { ProjectService } from '../../src/projects/project-service';
import { HookService } from '../../src/registry/hook-service';
import { HookWorker, type HookWorkerOptions } from '../../src/registry/hook-worker';
import { SIGNING_RULE_KIND } from '../../src/registry/signing-rule-kind';
import { ResourceService } from '../../src/resources/resource-service';
import { migrateLatest, openDatabase } from '../../src/store/database';
import { PageTokens } from '../../src/store/page-token';
import type { Stores } from '../../src/domain/stores/unit-of-work';
import { PostgresUnitOfWork } from '../../src/store/postgres-unit-of-work';
import { touchingRecorder } from '../../src/verification/touching-recorder';
import { AttestService, type AttestItem } from '../../src/witnesses/attest-service';
import { WitnessService } from '../../src/witnesses/witness-service';
import { defaultBackend } from '../support/test-database';
import { CAPTURED_DIGEST } from './registry-support';

/** AttestService that counts the images it is asked to attest and can be told to fail a call (before or after writing). */
export class CountingAttest extends AttestService {
  calls = 0;
  /** Each entry fails one call: 'before' throws before signing, 'after' after the occurrence is written (then rolled back). */
  failures: Array<'before' | 'after'> = [];

  override async attestMany(stores: Stores, items: readonly AttestItem[]): Promise<Occurrence[]> {
    this.calls += items.length;
    const failure = this.failures.shift();
    if (failure === 'before') throw new Error('simulated transient failure');
    const occ = await super.attestMany(stores, items);
    if (failure === 'after') throw new Error('simulated crash after signing, before commit');
    return occ;
  }
}

/** Services on a scratch database, with no server (so no worker runs unless a test starts one). */
export interface OutboxHarness {
  readonly knex: Knex;
  readonly uow: PostgresUnitOfWork;
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
  const url = await defaultBackend().createDatabase();
  const knex = openDatabase({ url, poolMax: 12 });
  await migrateLatest(knex);
  const uow = new PostgresUnitOfWork(knex, new PageTokens(crypto.randomBytes(32)));
  const access = new Access(true);
  const changes = touchingRecorder(new AuditRecorder(systemClock));
  const master = loadMasterKey({ masterKey: crypto.randomBytes(32).toString('base64'), dataDir: '/nonexistent', logger: silentLogger() });
  const keys = new KeyService(uow, access, systemClock, changes, new LocalKeyProvider(master));
  const witnesses = new WitnessService(uow, access, systemClock, changes, keys);
  const attest = new CountingAttest(uow, access, systemClock, changes, keys, witnesses);
  const hooks = new HookService(uow, access, systemClock, changes);
  const ctx = internalContext('test', 'registry-notifier');
  await new ProjectService(uow, access, systemClock, changes).create(ctx, `projects/${PROJECT}`);
  await keys.create(ctx, `projects/${PROJECT}`, 'k', { keySpec: 'EC_P256' });
  await witnesses.create(ctx, `projects/${PROJECT}`, WITNESS, { key: `projects/${PROJECT}/keys/k` });
  await new ResourceService(SIGNING_RULE_KIND, uow, access, systemClock, changes).create(ctx, `projects/${PROJECT}`, 'demo', {
    registry: '127.0.0.1:5000',
    namespace: 'kritis-demo',
    witness: `projects/${PROJECT}/witnesses/${WITNESS}`,
    enabled: true,
  });
  return {
    knex,
    uow,
    attest,
    hooks,
    keys,
    ctx,
    worker: (options = {}) => new HookWorker(uow, attest, systemClock, silentLogger(), undefined, { pollMs: 50, backoffMs: 0, ...options }),
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
    close: () => knex.destroy(),
  };
}

export const digestOf = (i: number): string => `sha256:${crypto.createHash('sha256').update(String(i)).digest('hex')}`;
