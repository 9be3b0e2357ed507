import crypto from 'node:crypto';
import { AuditRecorder } from '../../src/audit/audit-recorder';
import { AuditSequencer } from '../../src/audit/audit-sequencer';
import { AuditService } from '../../src/audit/audit-service';
import { Access } from '../../src/auth/access';
import { ChangeFeed } from '../../src/domain/change-feed';
import type { Clock } from '../../src/domain/clock';
import type { RequestContext } from '../../src/domain/request-context';
import { NoteService } from '../../src/grafeas/note-service';
import { OccurrenceService } from '../../src/grafeas/occurrence-service';
import { KeyService } from '../../src/kms/key-service';
import { LocalKeyProvider } from '../../src/kms/local-key-provider';
import { masterKeyId } from '../../src/kms/master-key';
import { silentLogger } from '../../src/logger';
import { PolicyService } from '../../src/policies/policy-service';
import { ProjectService } from '../../src/projects/project-service';
import { HookService } from '../../src/registry/hook-service';
import { HookWorker, type HookWorkerOptions } from '../../src/registry/hook-worker';
import { SigningRuleService } from '../../src/registry/signing-rule-service';
import { MemoryUnitOfWork } from '../../src/store/memory/memory-unit-of-work';
import { DecisionRecorder } from '../../src/verification/decision-recorder';
import { DecisionService } from '../../src/verification/decision-service';
import { touchingRecorder } from '../../src/verification/touching-recorder';
import { VerificationService } from '../../src/verification/verification-service';
import { AttestService } from '../../src/witnesses/attest-service';
import { WitnessService } from '../../src/witnesses/witness-service';

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

/** Every service over one in-memory database, wired as main.ts wires them (no transports, no background loops). */
export interface MemoryServices {
  readonly uow: MemoryUnitOfWork;
  readonly clock: TestClock;
  readonly feed: ChangeFeed;
  readonly projects: ProjectService;
  readonly notes: NoteService;
  readonly occurrences: OccurrenceService;
  readonly keys: KeyService;
  readonly witnesses: WitnessService;
  readonly attest: AttestService;
  readonly policies: PolicyService;
  readonly signingRules: SigningRuleService;
  readonly hooks: HookService;
  readonly verification: VerificationService;
  readonly decisionRecorder: DecisionRecorder;
  readonly decisions: DecisionService;
  readonly sequencer: AuditSequencer;
  readonly audit: AuditService;
  /** attestd itself (an internal context with every role). */
  readonly admin: RequestContext;
  /** A caller with these roles per project (`*` = every project). */
  caller(roles: Record<string, string[]>, subject?: string): RequestContext;
  /** A hook worker to drive by hand (runOnce); never started. */
  worker(options?: HookWorkerOptions): HookWorker;
}

/** How to build the attest service (a test can count or fail its calls). */
export type AttestFactory = (...args: ConstructorParameters<typeof AttestService>) => AttestService;

/** Builds every service over a fresh MemoryUnitOfWork, with a test clock, a fresh master key and tokens required. */
export function memoryServices(options: { attest?: AttestFactory; verdictCache?: boolean } = {}): MemoryServices {
  const clock = new TestClock();
  const feed = new ChangeFeed();
  const late: { sequencer?: AuditSequencer } = {};
  const uow = new MemoryUnitOfWork(undefined, ({ touched, audited }) => {
    feed.bump(touched);
    late.sequencer?.wake(audited);
  });
  const sequencer = (late.sequencer = new AuditSequencer(uow, silentLogger()));
  const access = new Access(true);
  const recorder = new AuditRecorder(clock);
  const changes = touchingRecorder(recorder);
  const master = crypto.randomBytes(32);
  const keys = new KeyService(uow, access, clock, changes, new LocalKeyProvider({ key: master, id: masterKeyId(master) }));
  const witnesses = new WitnessService(uow, access, clock, changes, keys);
  const attest = (options.attest ?? ((...args) => new AttestService(...args)))(uow, access, clock, changes, keys, witnesses);
  const decisionRecorder = new DecisionRecorder(uow, recorder, silentLogger());
  return {
    uow,
    clock,
    feed,
    projects: new ProjectService(uow, access, clock, changes),
    notes: new NoteService(uow, access, clock, changes),
    occurrences: new OccurrenceService(uow, access, clock, changes),
    keys,
    witnesses,
    attest,
    policies: new PolicyService(uow, access, clock, changes),
    signingRules: new SigningRuleService(uow, access, clock, changes),
    hooks: new HookService(uow, access, clock, changes),
    verification: new VerificationService(uow, access, clock, feed, decisionRecorder, witnesses, {
      cache: options.verdictCache ?? false,
      feedTrusted: () => true,
    }),
    decisionRecorder,
    decisions: new DecisionService(uow, access),
    sequencer,
    audit: new AuditService(uow, access, sequencer),
    admin: { requestId: 'test-admin', principal: { subject: 'admin', roles: { '*': ['admin'] } }, transport: 'internal' },
    caller: (roles, subject = 'caller') => ({ requestId: `test-${subject}`, principal: { subject, roles }, transport: 'rest' }),
    worker: (workerOptions = {}) =>
      new HookWorker(uow, attest, clock, silentLogger(), undefined, { backoffMs: 1000, maxAttempts: 3, ...workerOptions }),
  };
}
