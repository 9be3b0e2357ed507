import type { Access } from '../auth/access';
import { alreadyExists, invalidArgument, notFound } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { parseProjectName } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import type { ChangeRecorder } from '../domain/stores/change-recorder';
import type { JsonObject } from '../domain/message-types';
import { requireProject } from '../domain/stores/require-project';
import { applyMask, impliedMask, resolveMask } from '../domain/update-mask';
import { loadProtoRoot } from '../proto/proto-root';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import { parseWitnessName, witnessName } from '../witnesses/witness-names';
import { checkAllowlistPattern } from './allowlist-pattern';
import { checkCluster, checkNamespace, checkPolicyId, parsePolicyName, policyName, type PolicyName } from './policy-names';
import type { PolicyRecord } from '../domain/stores/policy-store';

const SERVER_SET = new Set(['name', 'revision', 'createTime', 'updateTime']);
const IMMUTABLE = new Set(['name', 'revision', 'create_time', 'update_time']);
const MAX_LIST = 100;

/** Security policies: witnesses bound to a cluster's namespaces, disabled until enabled. */
export class PolicyService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly changes: ChangeRecorder,
  ) {}

  async create(ctx: RequestContext, parent: string, policyId: string, input: JsonObject): Promise<JsonObject> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'policies.create', projectId);
    if (!policyId) throw invalidArgument('policyId is required: the id of the new policy, e.g. ?policyId=prod-default');
    const p: PolicyName = { projectId, policyId: checkPolicyId(policyId) };
    const now = this.clock.now();
    const record = normalize(p, input, 1, now, now);
    return this.uow.transaction(async (stores) => {
      await requireProject(stores, projectId);
      await requireWitnesses(stores, record.witnesses);
      if (!(await stores.policies.insert(record))) throw alreadyExists(`policy ${policyName(p)} already exists`);
      await this.changes.record(stores, ctx, 'CreatePolicy', policyName(p));
      return record.body;
    });
  }

  async get(ctx: RequestContext, name: string): Promise<JsonObject> {
    const p = parsePolicyName(name);
    this.access.check(ctx, 'policies.get', p.projectId);
    return (await this.require(this.uow.stores, p)).body;
  }

  async list(
    ctx: RequestContext,
    parent: string,
    pageSize: number,
    pageToken: string | undefined,
  ): Promise<{ policies: JsonObject[]; nextPageToken: string }> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'policies.list', projectId);
    const page = await this.uow.stores.policies.list(projectId, pageSize, pageToken);
    return { policies: page.items.map((r) => r.body), nextPageToken: page.nextPageToken };
  }

  async update(ctx: RequestContext, name: string, patch: JsonObject, maskPaths: readonly string[] | undefined): Promise<JsonObject> {
    const p = parsePolicyName(name);
    this.access.check(ctx, 'policies.update', p.projectId);
    const mask = resolveMask(loadProtoRoot().lookupType('attestd.v1.Policy'), maskPaths ?? impliedMask(patch, SERVER_SET), IMMUTABLE);
    return this.uow.transaction(async (stores) => {
      const current = await this.require(stores, p, true);
      const merged = applyMask(current.body, patch, mask);
      const record = normalize(p, merged, current.revision + 1, current.createTime, this.clock.now());
      await requireWitnesses(stores, record.witnesses);
      await stores.policies.update(record);
      await this.changes.record(stores, ctx, 'UpdatePolicy', policyName(p));
      return record.body;
    });
  }

  async delete(ctx: RequestContext, name: string): Promise<void> {
    const p = parsePolicyName(name);
    this.access.check(ctx, 'policies.delete', p.projectId);
    await this.uow.transaction(async (stores) => {
      if (!(await stores.policies.delete(p.projectId, p.policyId))) throw notFound(`policy ${policyName(p)} does not exist`);
      await this.changes.record(stores, ctx, 'DeletePolicy', policyName(p));
    });
  }

  private async require(stores: Stores, p: PolicyName, forUpdate = false): Promise<PolicyRecord> {
    const record = await stores.policies.get(p.projectId, p.policyId, forUpdate);
    if (!record) throw notFound(`policy ${policyName(p)} does not exist`);
    return record;
  }
}

/** Validates a policy message and builds the stored record, with defaults applied. */
function normalize(p: PolicyName, input: JsonObject, revision: number, createTime: string, updateTime: string): PolicyRecord {
  const witnesses = uniqueStrings(input.witnesses, 'policy.witnesses');
  if (witnesses.length === 0) throw invalidArgument('policy.witnesses must name at least one witness, e.g. ["projects/p/witnesses/qa"]');
  witnesses.forEach((w, i) => {
    const parsed = parseWitnessName(w, `policy.witnesses[${i}]`);
    if (parsed.projectId !== p.projectId)
      throw invalidArgument(`policy.witnesses[${i}] ${w} is in another project; a policy uses witnesses of its own project`);
  });
  if (typeof input.cluster !== 'string' || input.cluster === '')
    throw invalidArgument('policy.cluster is required: the cluster the policy protects, e.g. "c1"');
  const cluster = checkCluster(input.cluster, 'policy.cluster');
  const namespaces = uniqueStrings(input.namespaces, 'policy.namespaces');
  if (namespaces.length === 0) throw invalidArgument('policy.namespaces must name at least one namespace, e.g. ["default"]');
  namespaces.forEach((ns, i) => checkNamespace(ns, `policy.namespaces[${i}]`));
  const enforcement = input.enforcement === 'DRY_RUN' ? 'DRY_RUN' : 'ENFORCE';
  const required = Number(input.requiredWitnesses ?? 0);
  if (!Number.isInteger(required) || required < 0 || required > witnesses.length) {
    throw invalidArgument(
      `policy.requiredWitnesses must be from 0 (all) to ${witnesses.length} (the number of witnesses), got ${required}`,
    );
  }
  const allowlist = uniqueStrings(input.allowlist, 'policy.allowlist');
  allowlist.forEach((a, i) => checkAllowlistPattern(a, `policy.allowlist[${i}]`));
  const note = typeof input.note === 'string' ? input.note : '';
  if (note.length > 4096) throw invalidArgument('policy.note must be at most 4096 characters');
  const body: JsonObject = {
    name: policyName(p),
    witnesses: witnesses.map((w) => witnessName(parseWitnessName(w))),
    cluster,
    namespaces,
    enabled: input.enabled === true,
    note,
    enforcement,
    requiredWitnesses: required,
    allowlist,
    breakglassAllowed: input.breakglassAllowed === true,
    revision: String(revision),
    createTime,
    updateTime,
  };
  return {
    ...p,
    cluster,
    namespaces,
    enabled: body.enabled as boolean,
    revision,
    witnesses: body.witnesses as string[],
    body,
    createTime,
    updateTime,
  };
}

function uniqueStrings(v: unknown, field: string): string[] {
  const list = Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  if (list.length > MAX_LIST) throw invalidArgument(`${field} may hold at most ${MAX_LIST} entries`);
  return [...new Set(list)];
}

async function requireWitnesses(stores: Stores, names: readonly string[]): Promise<void> {
  const found = await stores.witnesses.getMany(names.map((n) => parseWitnessName(n)));
  const missing = names.filter((n) => !found.has(n));
  if (missing.length > 0)
    throw notFound(`witness${missing.length > 1 ? 'es' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist`);
}
