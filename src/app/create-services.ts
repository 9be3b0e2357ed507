import path from 'node:path';
import { ANCHOR_FILE, AuditAnchorWriter } from '../audit/audit-anchors';
import { AuditRecorder } from '../audit/audit-recorder';
import { AuditSequencer } from '../audit/audit-sequencer';
import { AuditService } from '../audit/audit-service';
import { SecurityEventLog } from '../audit/security-event-log';
import { Access } from '../auth/access';
import { identityProviderKind } from '../identity/identity-provider-kind';
import { IdentityProviderTable } from '../identity/identity-provider-table';
import { RevocationList } from '../auth/revocation-list';
import { workerSiblings } from './worker-siblings';
import { TokenService } from '../auth/token-service';
import { TokenSightings } from '../auth/token-sightings';
import type { Config } from '../config';
import { systemClock, type Clock } from '../domain/clock';
import type { ClusterSpec } from '../domain/resources/cluster-spec';
import type { PolicySpec } from '../domain/resources/policy-spec';
import type { SigningRuleSpec } from '../domain/resources/signing-rule-spec';
import type { ImportRuleSpec } from '../domain/resources/import-rule-spec';
import type { IdentityProviderSpec } from '../domain/resources/identity-provider-spec';
import { NoteService } from '../grafeas/note-service';
import { OccurrenceService } from '../grafeas/occurrence-service';
import { ScanImportService } from '../grafeas/scan-import-service';
import { VexImportService } from '../grafeas/vex-import-service';
import { KeyService } from '../kms/key-service';
import type { KeyProvider } from '../kms/key-provider';
import { LocalKeyProvider } from '../kms/local-key-provider';
import { loadMasterKey } from '../kms/master-key';
import type { Logger } from '../logger';
import { Metrics } from '../metrics';
import { CLUSTER_KIND } from '../policies/cluster-kind';
import { ClusterReportService } from '../policies/cluster-report-service';
import { POLICY_KIND } from '../policies/policy-kind';
import { ProjectService } from '../projects/project-service';
import { HookMetrics } from '../registry/hook-metrics';
import { HookRetention } from '../registry/hook-retention';
import { HookService } from '../registry/hook-service';
import { HookWorker } from '../registry/hook-worker';
import { SIGNING_RULE_KIND } from '../registry/signing-rule-kind';
import { IMPORT_RULE_KIND } from '../registry/import-rule-kind';
import { ImageImportService } from '../registry/image-import-service';
import { ImportWorker } from '../registry/import-worker';
import { registryClients } from '../registry/oci/registry-clients';
import { SignatureImporter, type RegistryClients } from '../registry/signature-importer';
import { ResourceService } from '../resources/resource-service';
import { DecisionRecorder } from '../verification/decision-recorder';
import { DecisionService } from '../verification/decision-service';
import { touchingRecorder } from '../verification/touching-recorder';
import { VerificationService } from '../verification/verification-service';
import { AttestService } from '../witnesses/attest-service';
import { WitnessService } from '../witnesses/witness-service';
import type { AppStores } from './create-stores';

/** What the services need of the stores: the unit of work, the change feed and commit notifications. */
export type ServiceStores = Pick<AppStores, 'uow' | 'feed' | 'onCommit'> & {
  /** False while changes of other replicas may be missed (verdicts are then not cached). */
  feedTrusted(): boolean;
};

/** What tests and tools may replace: the clock, the key provider (default: the local KMS under MASTER_KEY), metrics. */
export interface ServiceOptions {
  readonly clock?: Clock;
  readonly keyProvider?: KeyProvider;
  readonly metrics?: Metrics;
  /** How import rules reach registries (default: a client per host with REGISTRY_AUTH_FILE's credentials). */
  readonly registryClients?: RegistryClients;
}

/** The stores of a running server, as the services see them. */
export function serviceStores(stores: AppStores): ServiceStores {
  return { uow: stores.uow, feed: stores.feed, onCommit: (l) => stores.onCommit(l), feedTrusted: () => stores.changeListener.connected };
}

/** The services of a running attestd, and the background parts they feed (started by the server as workers). */
export interface AppServices {
  readonly notes: NoteService;
  readonly occurrences: OccurrenceService;
  readonly scans: ScanImportService;
  readonly vex: VexImportService;
  readonly projects: ProjectService;
  readonly keys: KeyService;
  readonly witnesses: WitnessService;
  readonly attest: AttestService;
  readonly policies: ResourceService<PolicySpec>;
  readonly clusters: ResourceService<ClusterSpec>;
  /** Admission adapters' reports per cluster. */
  readonly clusterReports: ClusterReportService;
  readonly signingRules: ResourceService<SigningRuleSpec>;
  readonly importRules: ResourceService<ImportRuleSpec>;
  /** Trusted OIDC issuers per project. */
  readonly identityProviders: ResourceService<IdentityProviderSpec>;
  /** Every project's trusted issuers, in memory, reloaded every few seconds and after each change made here. */
  readonly providerTable: IdentityProviderTable;
  readonly hooks: HookService;
  readonly verification: VerificationService;
  readonly decisions: DecisionService;
  readonly audit: AuditService;
  readonly metrics: Metrics;
  /** Chains committed audit events; woken by every commit that audited something. */
  readonly sequencer: AuditSequencer;
  /** Refused calls as coalesced `security` audit events (the transports' refusal hook feeds it). */
  readonly securityLog: SecurityEventLog;
  /** Appends the chain heads to DATA_DIR/audit-anchors.log. */
  readonly anchors: AuditAnchorWriter;
  /** Buffers admission and verifyImages decisions; flushed on stop. */
  readonly decisionRecorder: DecisionRecorder;
  /** Signs the registry hook outbox. */
  readonly hookWorker: HookWorker;
  /** Reads, verifies and records cosign signatures from registries. */
  readonly importer: SignatureImporter;
  /** Imports the hook outbox's signature manifests. */
  readonly importWorker: ImportWorker;
  /** `images:import`: imports an image's signatures on demand. */
  readonly imageImports: ImageImportService;
  /** Forgets ignored registry events past HOOK_EVENT_RETENTION_DAYS. */
  readonly hookRetention: HookRetention;
  /** `attestd token list` / `revoke`. */
  readonly tokens: TokenService;
  /** The revoked jtis every request is checked against, reloaded from the database every few seconds. */
  readonly revocations: RevocationList;
  /** Records each token the first time this replica verifies it. */
  readonly tokenSightings: TokenSightings;
}

/** Builds every service over the stores (never `new` a service elsewhere); nothing starts running here. */
export function createServices(stores: ServiceStores, config: Config, logger: Logger, options: ServiceOptions = {}): AppServices {
  const { uow } = stores;
  const clock = options.clock ?? systemClock;
  const metrics = options.metrics ?? new Metrics();
  const access = new Access(true);
  const audit = new AuditRecorder(clock);
  const changes = touchingRecorder(audit);
  const sequencer = new AuditSequencer(uow, logger);
  stores.onCommit(({ audited }) => sequencer.wake(audited));
  const keyProvider =
    options.keyProvider ??
    new LocalKeyProvider(
      loadMasterKey({ masterKey: config.masterKey, masterKeyFile: config.masterKeyFile, dataDir: config.dataDir, logger }),
    );
  // Enabling a key retries the hook signings waiting on it: wake the hook worker (built below) when it did.
  const keys = new KeyService(uow, access, clock, changes, keyProvider, () => hookWorker.wake());
  const witnesses = new WitnessService(uow, access, clock, changes, keys);
  const attest = new AttestService(uow, access, clock, changes, keys, witnesses);
  const clusters = new ResourceService(CLUSTER_KIND, uow, access, clock, changes);
  const decisionRecorder = new DecisionRecorder(uow, audit, logger, {
    dropped: metrics.counter('attestd_decisions_dropped_total', 'Decisions that could not be recorded (their reviews failed closed)'),
  });
  metrics.gauge('attestd_decisions_buffered', 'Decisions waiting to be written to the database', () => decisionRecorder.pending);
  const hookMetrics = new HookMetrics(metrics);
  const hookWorker = new HookWorker(uow, attest, clock, logger, hookMetrics);
  const importer = new SignatureImporter(
    uow,
    clock,
    changes,
    witnesses,
    options.registryClients ?? registryClients(config.registryAuthFile),
  );
  const importWorker = new ImportWorker(uow, importer, clock, logger, hookMetrics);
  const siblings = workerSiblings();
  const revocations = new RevocationList(uow, clock, logger, siblings);
  const providerTable = new IdentityProviderTable(uow, logger, siblings);
  return {
    notes: new NoteService(uow, access, clock, changes),
    occurrences: new OccurrenceService(uow, access, clock, changes),
    scans: new ScanImportService(uow, access, clock, changes, config.vulnerabilityNotesProject),
    vex: new VexImportService(uow, access, clock, changes),
    projects: new ProjectService(uow, access, clock, changes),
    keys,
    witnesses,
    attest,
    policies: new ResourceService(POLICY_KIND, uow, access, clock, changes),
    clusters,
    clusterReports: new ClusterReportService(uow, access, clock, clusters),
    signingRules: new ResourceService(SIGNING_RULE_KIND, uow, access, clock, changes),
    importRules: new ResourceService(IMPORT_RULE_KIND, uow, access, clock, changes),
    identityProviders: new ResourceService(
      identityProviderKind(() => providerTable.changed(), config.jwtIssuer),
      uow,
      access,
      clock,
      changes,
    ),
    providerTable,
    hooks: new HookService(
      uow,
      access,
      clock,
      changes,
      (queued) => {
        if (queued.sign) hookWorker.wake();
        if (queued.import) importWorker.wake();
      },
      hookMetrics,
    ),
    verification: new VerificationService(uow, access, clock, stores.feed, decisionRecorder, witnesses, {
      cache: config.verdictCache,
      feedTrusted: () => stores.feedTrusted(),
    }),
    decisions: new DecisionService(uow, access),
    audit: new AuditService(uow, access, sequencer, path.join(config.dataDir, ANCHOR_FILE)),
    metrics,
    sequencer,
    securityLog: new SecurityEventLog(uow, clock, logger),
    anchors: new AuditAnchorWriter(uow, path.join(config.dataDir, ANCHOR_FILE), logger),
    decisionRecorder,
    hookWorker,
    importer,
    importWorker,
    imageImports: new ImageImportService(uow, access, importer),
    hookRetention: new HookRetention(uow, clock, logger, config.hookEventRetentionDays),
    tokens: new TokenService(uow, access, clock, changes, revocations),
    revocations,
    tokenSightings: new TokenSightings(uow, clock, logger),
  };
}
