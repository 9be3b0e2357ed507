import { coverageWarning } from '../domain/webhook-coverage';
import { v1Path, type Json } from './api-client';
import { field, shortName, UsageError, type CommandGroup, type Invocation } from './command-table';
import { groupCommand, memberOf, resourceCommandGroup } from './resource-command-group';

/** `attestd policies create|list|get|enable|disable|delete`. */
export const POLICIES: CommandGroup = resourceCommandGroup({
  name: 'policies',
  summary: "Security policies: which witnesses must have attested an image before it runs in a cluster's namespaces.",
  collection: 'policies',
  idParam: 'policyId',
  arg: 'POLICY',
  singular: 'policy',
  plural: 'policies',
  columns: [
    ['NAME', (p) => field(p, 'name')],
    ['ENABLED', (p) => String(p.enabled === true)],
    ['ENFORCEMENT', (p) => field(p, 'enforcement')],
    ['CLUSTER', (p) => field(p, 'cluster')],
    ['NAMESPACES', (p) => field(p, 'namespaces')],
    ['WITNESSES', (p) => ((p.witnesses as string[] | undefined) ?? []).map(shortName).join(',')],
    ['ATTESTATIONS', (p) => String((p.attestations as unknown[] | undefined)?.length ?? 0)],
    ['REVISION', (p) => field(p, 'revision')],
  ],
  create: {
    flags:
      '--witness W | --attestation "W TYPE [CEL]" | --max-severity S --cluster C --namespace N [--enable] [--note T] [--dry-run] [...]',
    summary: 'create a policy (disabled unless --enable)',
    details: `flags:
  --witness W               a witness id or projects/P/witnesses/W (repeat for several)
  --attestation "W TYPE [CEL]"
                            an attestation requirement: witness W must have verified a statement of predicate type
                            TYPE about the image that meets the CEL condition (optional), e.g.
                            --attestation "ci https://slsa.dev/provenance/v1 predicate.runDetails.builder.id == 'https://b'"
                            (repeat for several; a policy needs --witness or --attestation)
  --cluster C               the cluster the policy applies to
  --namespace N             a namespace of that cluster (repeat for several)
  --enable                  enable the policy at once (default: disabled until \`attestd policies enable\`)
  --note T                  free text
  --dry-run                 enforcement DRY_RUN: admit, but record that the image would have been denied
  --required-witnesses K    how many of the witnesses must have attested (default 0 = all)
  --allowlist PATTERN       image name pattern admitted without attestation (repeat for several)
  --breakglass-allowed      let the kritis.grafeas.io/breakglass annotation admit a workload (audited)
vulnerability limits (any of these adds a vulnerabilities block; docs/vulnerabilities.md):
  --max-severity S          highest severity of a finding with a fix: MINIMAL…CRITICAL, BLOCK_ALL, ALLOW_ALL (default CRITICAL)
  --max-fix-unavailable-severity S   the same for findings without a fix (default ALLOW_ALL)
  --allow-cve ID            a vulnerability id or note name that never counts (repeat for several)
  --require-scan            deny images without a finished vulnerability scan
  --max-scan-age D          deny images whose newest scan is older, e.g. 168h or 7d`,
    options: {
      witness: { type: 'string', multiple: true },
      attestation: { type: 'string', multiple: true },
      cluster: { type: 'string' },
      namespace: { type: 'string', multiple: true },
      enable: { type: 'boolean' },
      note: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'required-witnesses': { type: 'string' },
      allowlist: { type: 'string', multiple: true },
      'breakglass-allowed': { type: 'boolean' },
      'max-severity': { type: 'string' },
      'max-fix-unavailable-severity': { type: 'string' },
      'allow-cve': { type: 'string', multiple: true },
      'require-scan': { type: 'boolean' },
      'max-scan-age': { type: 'string' },
    },
    body(inv, project): Json {
      const witnesses = inv.strings('witness').map((w) => memberOf(inv, 'witnesses', w, project));
      const attestations = inv.strings('attestation').map((a) => attestationRequirement(inv, a, project));
      const vulnerabilities = vulnerabilityFlags(inv);
      if (witnesses.length === 0 && attestations.length === 0 && vulnerabilities === undefined)
        throw new UsageError(
          '--witness or a vulnerability limit (--max-severity, --require-scan, …) is required, or --attestation "W TYPE [CEL]": what the policy checks',
        );
      const cluster = inv.required('cluster', 'the cluster the policy applies to');
      const namespaces = inv.strings('namespace');
      if (namespaces.length === 0) throw new UsageError('--namespace is required (a namespace of the cluster; repeat for several)');
      const required = inv.string('required-witnesses');
      if (required !== undefined && !/^\d+$/.test(required))
        throw new UsageError(`--required-witnesses must be a whole number, got "${required}"`);
      return {
        witnesses,
        cluster,
        namespaces,
        enabled: inv.flag('enable'),
        note: inv.string('note'),
        enforcement: inv.flag('dry-run') ? 'DRY_RUN' : 'ENFORCE',
        requiredWitnesses: required === undefined ? undefined : Number(required),
        allowlist: inv.strings('allowlist'),
        breakglassAllowed: inv.flag('breakglass-allowed'),
        attestations,
        ...(vulnerabilities === undefined ? {} : { vulnerabilities }),
      };
    },
  },
  toggle: {
    enable: 'enable a policy: admission reviews starting after this answer apply it',
    disable: 'disable a policy: it is ignored',
  },
  remove: { summary: 'delete a policy' },
  afterWrite: warnUncovered,
});

/** Warns on stderr when the policy names namespaces its cluster's webhook, as declared, does not cover (ADR 0065). */
async function warnUncovered(inv: Invocation, policy: Json): Promise<void> {
  const name = typeof policy.name === 'string' ? policy.name : '';
  const cluster = typeof policy.cluster === 'string' ? policy.cluster : '';
  const project = name.split('/')[1];
  if (!project || !cluster) return;
  let declared: Json;
  try {
    declared = await inv.client().get(v1Path(`projects/${project}/clusters/${cluster}`));
  } catch {
    return; // the policy was written; coverage is advice, not worth failing the command for
  }
  const warning = coverageWarning(cluster, declared, (policy.namespaces as string[] | undefined) ?? []);
  if (warning)
    inv.io.err.write(`${inv.command}: warning: ${warning}
`);
}

/** The vulnerabilities block the flags ask for; undefined when none of them is given (the server applies defaults). */
function vulnerabilityFlags(inv: Invocation): Json | undefined {
  const block: Json = {};
  const maximumSeverity = inv.string('max-severity');
  const maximumFixUnavailableSeverity = inv.string('max-fix-unavailable-severity');
  const allowlistCVEs = inv.strings('allow-cve');
  const maximumScanAge = inv.string('max-scan-age');
  if (maximumSeverity !== undefined) block.maximumSeverity = maximumSeverity;
  if (maximumFixUnavailableSeverity !== undefined) block.maximumFixUnavailableSeverity = maximumFixUnavailableSeverity;
  if (allowlistCVEs.length > 0) block.allowlistCVEs = allowlistCVEs;
  if (inv.flag('require-scan')) block.requireScan = true;
  if (maximumScanAge !== undefined) block.maximumScanAge = maximumScanAge;
  return Object.keys(block).length > 0 ? block : undefined;
}

/** `attestd policies …`; resolves the exit code. */
export const policiesCommand = groupCommand(POLICIES);

/** `--attestation "W TYPE [CEL]"`: the witness and predicate type are the first two words, the condition the rest. */
function attestationRequirement(inv: Invocation, value: string, project: string): Json {
  const m = /^\s*(\S+)\s+(\S+)(?:\s+([\s\S]*\S))?\s*$/.exec(value);
  if (!m) throw new UsageError(`--attestation needs "WITNESS PREDICATE_TYPE [CONDITION]", got "${value}"`);
  return { witness: memberOf(inv, 'witnesses', m[1]!, project), predicateType: m[2]!, condition: m[3] ?? '' };
}
