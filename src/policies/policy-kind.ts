import { invalidArgument } from '../domain/api-error';
import type { JsonObject } from '../domain/message-types';
import { policyWitnesses, type PolicySpec } from '../domain/resources/policy-spec';
import type { ResourceName } from '../domain/resources/resource-record';
import { protoNames } from '../resources/proto-names';
import type { ParseContext, ResourceKind } from '../resources/resource-kind';
import { checkResourceId, formatResourceName } from '../resources/resource-names';
import { SpecReader } from '../resources/spec-reader';
import { requireWitnesses, witnessOfProject } from '../witnesses/witness-names';
import { checkAllowlistPattern } from './allowlist-pattern';
import { parseAttestationRequirements } from './attestation-requirements';
import { requireRegisteredCluster } from './cluster-kind';
import { checkCluster, checkNamespace } from './policy-names';
import { parseVulnerabilityRequirements } from './vulnerability-requirements';

/** Most witnesses, namespaces or allowlist patterns one policy holds. */
const MAX_LIST = 100;

/** Security policies, a kind of the resource kit: witnesses bound to a cluster's namespaces, disabled until enabled. */
export const POLICY_KIND: ResourceKind<PolicySpec> = {
  ...protoNames('Policy', 'policies'),
  singular: 'policy',
  placeholder: 'policy',
  idParam: 'policyId',
  idExample: 'prod-default',
  checkId: (id) => checkResourceId(id, 'policyId'),
  outputOnly: ['revision'],
  store: (stores) => stores.policies,
  parse: parsePolicy,
  toMessage: (r) => ({ ...r.spec, revision: String(r.revision) }),
  checkReferences: async (stores, r) => {
    await requireRegisteredCluster(stores, r.projectId, r.spec.cluster, 'policy.cluster');
    await requireWitnesses(stores, policyWitnesses(r.spec));
  },
};

/** Validates a policy message, with defaults applied. */
function parsePolicy(input: JsonObject, { name }: ParseContext): PolicySpec {
  const f = new SpecReader(input, 'policy');
  const witnesses = f.strings('witnesses', MAX_LIST);
  const vulnerabilities = parseVulnerabilityRequirements(f.value('vulnerabilities'), 'policy.vulnerabilities');
  const attestations = parseAttestationRequirements(f.value('attestations'), name.projectId);
  requireSomeCheck({
    witnesses: witnesses.length > 0,
    attestations: attestations.length > 0,
    vulnerabilities: vulnerabilities !== undefined,
  });
  const rule = 'a policy uses witnesses of its own project';
  const own = witnesses.map((w, i) => witnessOfProject(w, name.projectId, `policy.witnesses[${i}]`, rule));
  const cluster = checkCluster(f.text('cluster', { required: 'the cluster the policy protects, e.g. "c1"' }), 'policy.cluster');
  const namespaces = f.strings('namespaces', MAX_LIST);
  if (namespaces.length === 0) throw invalidArgument('policy.namespaces must name at least one namespace, e.g. ["default"]');
  namespaces.forEach((ns, i) => checkNamespace(ns, `policy.namespaces[${i}]`));
  const enforcement = f.oneOf('enforcement', ['ENFORCE', 'DRY_RUN'] as const, 'ENFORCE');
  const n = own.length;
  const requiredWitnesses = f.integer('requiredWitnesses', { min: 0, max: n, meaning: `from 0 (all) to ${n} (the number of witnesses)` });
  const allowlist = f.strings('allowlist', MAX_LIST);
  allowlist.forEach((a, i) => checkAllowlistPattern(a, `policy.allowlist[${i}]`));
  return {
    witnesses: own,
    cluster,
    namespaces,
    enabled: f.bool('enabled'),
    note: f.text('note', { max: 4096 }),
    enforcement,
    requiredWitnesses,
    allowlist,
    breakglassAllowed: f.bool('breakglassAllowed'),
    attestations,
    ...(vulnerabilities === undefined ? {} : { vulnerabilities }),
  };
}

/**
 * A policy must check something: at least one of witnesses, attestation requirements, a vulnerabilities block (a
 * policy with only `attestations` is valid). Every part a policy has must pass. A new kind of check joins here.
 */
function requireSomeCheck(parts: { witnesses: boolean; attestations: boolean; vulnerabilities: boolean }): void {
  if (parts.witnesses || parts.attestations || parts.vulnerabilities) return;
  throw invalidArgument(
    'a policy must have at least one of policy.witnesses (e.g. ["projects/p/witnesses/qa"]), policy.attestations ' +
      '(e.g. [{"witness":"projects/p/witnesses/ci","predicateType":"https://slsa.dev/provenance/v1"}]) or policy.vulnerabilities ' +
      '(e.g. {"maximumSeverity":"HIGH"})',
  );
}

/** A policy's full name. */
export const policyName = (p: ResourceName): string => formatResourceName(POLICY_KIND, p);
