import crypto from 'node:crypto';
import { createServices, type AppServices } from '../../src/app/create-services';
import { loadConfig } from '../../src/config';
import { ChangeFeed } from '../../src/domain/change-feed';
import type { Clock } from '../../src/domain/clock';
import type { RequestContext } from '../../src/domain/request-context';
import type { Committed } from '../../src/domain/stores/unit-of-work';
import { LocalKeyProvider } from '../../src/kms/local-key-provider';
import { masterKeyId } from '../../src/kms/master-key';
import { silentLogger } from '../../src/logger';
import { HookWorker, type HookWorkerOptions } from '../../src/registry/hook-worker';
import type { RegistryClients } from '../../src/registry/signature-importer';
import { MemoryUnitOfWork } from '../../src/store/memory/memory-unit-of-work';
import type { AttestService } from '../../src/witnesses/attest-service';

/** A clock tests move by hand; it starts at 2026-01-01T00:00:00Z. */
export class TestClock implements Clock {
  private ms = Date.parse('2026-01-01T00:00:00.000Z');

  now(): string {
    return new Date(this.ms).toISOString();
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Every service over one in-memory database, built by the server's own createServices (no transports, nothing started). */
export type MemoryServices = AppServices & {
  readonly uow: MemoryUnitOfWork;
  readonly clock: TestClock;
  readonly feed: ChangeFeed;
  /** attestd itself (an internal context with every role). */
  readonly admin: RequestContext;
  /** A caller with these roles per project (`*` = every project). */
  caller(roles: Record<string, string[]>, subject?: string): RequestContext;
  /** A hook worker to drive by hand (runOnce); never started. */
  worker(options?: HookWorkerOptions): HookWorker;
};

/** Stands in for the attest service a hook worker calls (a test can count or fail its calls). */
export type AttestWrapper = (real: AttestService) => Pick<AttestService, 'attestMany'>;

/** Builds every service over a fresh MemoryUnitOfWork, with a test clock, a fresh master key and tokens required. */
export function memoryServices(
  options: { attest?: AttestWrapper; verdictCache?: boolean; vulnerabilityNotesProject?: string; registryClients?: RegistryClients } = {},
): MemoryServices {
  const clock = new TestClock();
  const feed = new ChangeFeed();
  const listeners: ((committed: Committed) => void)[] = [];
  const uow = new MemoryUnitOfWork(undefined, (committed) => {
    feed.bump(committed.touched);
    for (const listener of listeners) listener(committed);
  });
  const master = crypto.randomBytes(32);
  const config = loadConfig({
    VERDICT_CACHE: options.verdictCache ? 'true' : 'false',
    VULNERABILITY_NOTES_PROJECT: options.vulnerabilityNotesProject,
  });
  const services = createServices(
    { uow, feed, onCommit: (listener) => void listeners.push(listener), feedTrusted: () => true },
    config,
    silentLogger(),
    { clock, keyProvider: new LocalKeyProvider({ key: master, id: masterKeyId(master) }), registryClients: options.registryClients },
  );
  const attest = options.attest?.(services.attest) ?? services.attest;
  return {
    ...services,
    uow,
    clock,
    feed,
    admin: { requestId: 'test-admin', principal: { subject: 'admin', roles: { '*': ['admin'] } }, transport: 'internal' },
    caller: (roles, subject = 'caller') => ({ requestId: `test-${subject}`, principal: { subject, roles }, transport: 'rest' }),
    worker: (workerOptions = {}) =>
      new HookWorker(uow, attest, clock, silentLogger(), undefined, { backoffMs: 1000, maxAttempts: 3, ...workerOptions }),
  };
}
