import { invalidArgument } from '../domain/api-error';
import { parseImageReference } from '../domain/image-reference';
import type { JsonObject } from '../domain/message-types';
import { quote } from '../domain/names';
import type { SigningRuleSpec } from '../domain/resources/signing-rule-spec';
import { protoNames } from '../resources/proto-names';
import type { ParseContext, ResourceKind } from '../resources/resource-kind';
import { checkResourceId } from '../resources/resource-names';
import { SpecReader } from '../resources/spec-reader';
import { requireWitnesses, witnessOfProject } from '../witnesses/witness-names';
import { ALL_REPOSITORIES, checkRegistryNamespace, checkRepositoryPattern } from './repository-pattern';

/** Signing rules, a kind of the resource kit: which witness signs pushes into which registry namespace. */
export const SIGNING_RULE_KIND: ResourceKind<SigningRuleSpec> = {
  ...protoNames('SigningRule', 'signingRules'),
  singular: 'signing rule',
  placeholder: 'rule',
  idParam: 'ruleId',
  idExample: 'kritis-demo',
  checkId: (id) => checkResourceId(id, 'ruleId'),
  outputOnly: ['revision'],
  store: (stores) => stores.signingRules,
  parse: parseSigningRule,
  toMessage: (r) => ({ ...r.spec, revision: String(r.revision) }),
  checkReferences: (stores, r) => requireWitnesses(stores, [r.spec.witness]),
};

/** Validates a rule message, with defaults applied. */
function parseSigningRule(input: JsonObject, { name }: ParseContext): SigningRuleSpec {
  const f = new SpecReader(input, 'signingRule');
  const registry = f.text('registry', { required: 'the registry host clients push to, e.g. "127.0.0.1:5000"' });
  const namespace = f.text('namespace', { required: 'the first path segment of the repositories it covers, e.g. "kritis-demo"' });
  const repositories = f.text('repositories') || ALL_REPOSITORIES;
  const witness = f.text('witness', { required: 'the witness that signs, e.g. "projects/p/witnesses/qa"' });
  return {
    registry: checkRegistryHost(registry, 'signingRule.registry'),
    namespace: checkRegistryNamespace(namespace, 'signingRule.namespace'),
    repositories: checkRepositoryPattern(repositories, 'signingRule.repositories'),
    witness: witnessOfProject(witness, name.projectId, 'signingRule.witness', 'a rule uses a witness of its own project'),
    enabled: f.bool('enabled'),
    description: f.text('description', { max: 4096 }),
  };
}

/** Checks a registry host[:port] as clients push to it; returns it in lower case. */
export function checkRegistryHost(registry: string, field: string): string {
  const bad = () =>
    invalidArgument(
      `${field} must be a registry host with its port if any, e.g. "127.0.0.1:5000" or "registry.example.com", got ${quote(registry)}`,
    );
  if (registry === '' || registry.includes('/') || registry.length > 253) throw bad();
  let parsed;
  try {
    parsed = parseImageReference(`${registry}/probe/probe`);
  } catch {
    throw bad();
  }
  if (parsed.registry !== registry.toLowerCase()) throw bad();
  return parsed.registry;
}
