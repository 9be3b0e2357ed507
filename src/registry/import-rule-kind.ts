import { invalidArgument } from '../domain/api-error';
import type { JsonObject } from '../domain/message-types';
import type { ImportRuleSpec } from '../domain/resources/import-rule-spec';
import { protoNames } from '../resources/proto-names';
import type { ParseContext, ResourceKind } from '../resources/resource-kind';
import { checkResourceId } from '../resources/resource-names';
import { SpecReader } from '../resources/spec-reader';
import { requireWitnesses, witnessOfProject } from '../witnesses/witness-names';
import { ALL_REPOSITORIES, checkRegistryNamespace, checkRepositoryPattern } from './repository-pattern';
import { checkRegistryHost } from './signing-rule-kind';

/** Most witnesses one import rule names. */
const MAX_WITNESSES = 100;

/**
 * Import rules, a kind of the resource kit: cosign signatures and attestations pushed into a registry namespace
 * are read back, verified with the rule's witnesses' keys and recorded as their attestations (ADR 0020).
 */
export const IMPORT_RULE_KIND: ResourceKind<ImportRuleSpec> = {
  ...protoNames('ImportRule', 'importRules'),
  singular: 'import rule',
  placeholder: 'rule',
  idParam: 'ruleId',
  idExample: 'team-cosign',
  checkId: (id) => checkResourceId(id, 'ruleId'),
  outputOnly: ['revision'],
  store: (stores) => stores.importRules,
  parse: parseImportRule,
  toMessage: (r) => ({ ...r.spec, witnesses: [...r.spec.witnesses], revision: String(r.revision) }),
  checkReferences: (stores, r) => requireWitnesses(stores, r.spec.witnesses),
};

/** Validates an import rule message, with defaults applied. */
function parseImportRule(input: JsonObject, { name }: ParseContext): ImportRuleSpec {
  const f = new SpecReader(input, 'importRule');
  const registry = f.text('registry', { required: 'the registry host clients push to and attestd reads from, e.g. "127.0.0.1:5000"' });
  const namespace = f.text('namespace', { required: 'the first path segment of the repositories it covers, e.g. "team"' });
  const repositories = f.text('repositories') || ALL_REPOSITORIES;
  const witnesses = f.strings('witnesses', MAX_WITNESSES);
  if (witnesses.length === 0) {
    throw invalidArgument(
      'importRule.witnesses must name at least one witness whose keys verify the signatures, e.g. ["projects/p/witnesses/ci"]',
    );
  }
  const rule = 'an import rule uses witnesses of its own project';
  const own = [...new Set(witnesses.map((w, i) => witnessOfProject(w, name.projectId, `importRule.witnesses[${i}]`, rule)))];
  return {
    registry: checkRegistryHost(registry, 'importRule.registry'),
    namespace: checkRegistryNamespace(namespace, 'importRule.namespace'),
    repositories: checkRepositoryPattern(repositories, 'importRule.repositories'),
    witnesses: own,
    plainHttp: f.bool('plainHttp'),
    enabled: f.bool('enabled'),
    description: f.text('description', { max: 4096 }),
  };
}
