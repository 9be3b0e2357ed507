import type { Access } from '../auth/access';
import { alreadyExists, invalidArgument, notFound } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { parseImageReference } from '../domain/image-reference';
import { parseProjectName, quote } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import type { ChangeRecorder } from '../domain/stores/change-recorder';
import type { JsonObject } from '../domain/message-types';
import { requireProject } from '../domain/stores/require-project';
import { applyMask, impliedMask, resolveMask } from '../domain/update-mask';
import { loadProtoRoot } from '../proto/proto-root';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import { parseWitnessName, witnessName } from '../witnesses/witness-names';
import { ALL_REPOSITORIES, checkRegistryNamespace, checkRepositoryPattern } from './repository-pattern';
import { checkRuleId, parseSigningRuleName, signingRuleName, type SigningRuleName } from './signing-rule-names';
import type { SigningRuleRecord } from '../domain/stores/signing-rule-store';

const SERVER_SET = new Set(['name', 'revision', 'createTime', 'updateTime']);
const IMMUTABLE = new Set(['name', 'revision', 'create_time', 'update_time']);

/** Signing rules: which witness signs pushes into which registry namespace. */
export class SigningRuleService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly changes: ChangeRecorder,
  ) {}

  async create(ctx: RequestContext, parent: string, ruleId: string, input: JsonObject): Promise<JsonObject> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'signingRules.create', projectId);
    if (!ruleId) throw invalidArgument('ruleId is required: the id of the new signing rule, e.g. ?ruleId=kritis-demo');
    const r: SigningRuleName = { projectId, ruleId: checkRuleId(ruleId) };
    const now = this.clock.now();
    const record = normalize(r, input, 1, now, now);
    return this.uow.transaction(async (stores) => {
      await requireProject(stores, projectId);
      await requireWitness(stores, record);
      if (!(await stores.signingRules.insert(record))) throw alreadyExists(`signing rule ${signingRuleName(r)} already exists`);
      await this.changes.record(stores, ctx, 'CreateSigningRule', signingRuleName(r));
      return record.body;
    });
  }

  async get(ctx: RequestContext, name: string): Promise<JsonObject> {
    const r = parseSigningRuleName(name);
    this.access.check(ctx, 'signingRules.get', r.projectId);
    return (await this.require(this.uow.stores, r)).body;
  }

  async list(
    ctx: RequestContext,
    parent: string,
    pageSize: number,
    pageToken: string | undefined,
  ): Promise<{ signingRules: JsonObject[]; nextPageToken: string }> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'signingRules.list', projectId);
    const page = await this.uow.stores.signingRules.list(projectId, pageSize, pageToken);
    return { signingRules: page.items.map((x) => x.body), nextPageToken: page.nextPageToken };
  }

  async update(ctx: RequestContext, name: string, patch: JsonObject, maskPaths: readonly string[] | undefined): Promise<JsonObject> {
    const r = parseSigningRuleName(name);
    this.access.check(ctx, 'signingRules.update', r.projectId);
    const mask = resolveMask(loadProtoRoot().lookupType('attestd.v1.SigningRule'), maskPaths ?? impliedMask(patch, SERVER_SET), IMMUTABLE);
    return this.uow.transaction(async (stores) => {
      const current = await this.require(stores, r, true);
      const merged = applyMask(current.body, patch, mask);
      const record = normalize(r, merged, current.revision + 1, current.createTime, this.clock.now());
      await requireWitness(stores, record);
      await stores.signingRules.update(record);
      await this.changes.record(stores, ctx, 'UpdateSigningRule', signingRuleName(r));
      return record.body;
    });
  }

  async delete(ctx: RequestContext, name: string): Promise<void> {
    const r = parseSigningRuleName(name);
    this.access.check(ctx, 'signingRules.delete', r.projectId);
    await this.uow.transaction(async (stores) => {
      if (!(await stores.signingRules.delete(r.projectId, r.ruleId))) throw notFound(`signing rule ${signingRuleName(r)} does not exist`);
      await this.changes.record(stores, ctx, 'DeleteSigningRule', signingRuleName(r));
    });
  }

  private async require(stores: Stores, r: SigningRuleName, forUpdate = false): Promise<SigningRuleRecord> {
    const record = await stores.signingRules.get(r.projectId, r.ruleId, forUpdate);
    if (!record) throw notFound(`signing rule ${signingRuleName(r)} does not exist`);
    return record;
  }
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

/** Validates a rule message and builds the stored record, with defaults applied. */
function normalize(r: SigningRuleName, input: JsonObject, revision: number, createTime: string, updateTime: string): SigningRuleRecord {
  if (typeof input.registry !== 'string' || input.registry === '') {
    throw invalidArgument('signingRule.registry is required: the registry host clients push to, e.g. "127.0.0.1:5000"');
  }
  const registry = checkRegistryHost(input.registry, 'signingRule.registry');
  if (typeof input.namespace !== 'string' || input.namespace === '') {
    throw invalidArgument('signingRule.namespace is required: the first path segment of the repositories it covers, e.g. "kritis-demo"');
  }
  const namespace = checkRegistryNamespace(input.namespace, 'signingRule.namespace');
  const repositories = checkRepositoryPattern(
    typeof input.repositories === 'string' && input.repositories !== '' ? input.repositories : ALL_REPOSITORIES,
    'signingRule.repositories',
  );
  if (typeof input.witness !== 'string' || input.witness === '') {
    throw invalidArgument('signingRule.witness is required: the witness that signs, e.g. "projects/p/witnesses/qa"');
  }
  const w = parseWitnessName(input.witness, 'signingRule.witness');
  if (w.projectId !== r.projectId)
    throw invalidArgument(`signingRule.witness ${input.witness} is in another project; a rule uses a witness of its own project`);
  const description = typeof input.description === 'string' ? input.description : '';
  if (description.length > 4096) throw invalidArgument('signingRule.description must be at most 4096 characters');
  const body: JsonObject = {
    name: signingRuleName(r),
    registry,
    namespace,
    repositories,
    witness: witnessName(w),
    enabled: input.enabled === true,
    description,
    revision: String(revision),
    createTime,
    updateTime,
  };
  return {
    ...r,
    registry,
    namespace,
    repositories,
    witnessId: w.witnessId,
    enabled: body.enabled as boolean,
    revision,
    body,
    createTime,
    updateTime,
  };
}

async function requireWitness(stores: Stores, record: SigningRuleRecord): Promise<void> {
  if (!(await stores.witnesses.get(record.projectId, record.witnessId)))
    throw notFound(`witness ${String(record.body.witness)} does not exist`);
}
