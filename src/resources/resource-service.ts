import type protobuf from 'protobufjs';
import type { Access } from '../auth/access';
import type { Permission } from '../auth/permissions';
import { alreadyExists, invalidArgument, notFound } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import type { JsonObject, Page } from '../domain/message-types';
import { parseProjectName } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import type { ResourceName, ResourceRecord } from '../domain/resources/resource-record';
import type { ChangeRecorder } from '../domain/stores/change-recorder';
import { requireProject } from '../domain/stores/require-project';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import { applyMask, impliedMask, resolveMask } from '../domain/update-mask';
import { fieldJsonName } from '../proto/type-plan';
import { loadProtoRoot } from '../proto/proto-root';
import { checkEtag, etagOf } from './etag';
import type { DeleteOptions, ResourceKind } from './resource-kind';
import { formatResourceName, parseResourceName } from './resource-names';

/** Fields every kit resource's message has and the server sets. */
const OUTPUT_ONLY = ['name', 'etag', 'create_time', 'update_time'];

/**
 * The CRUD service of one kind of revisioned project resource: create, get, list, update (with an update mask)
 * and delete, each checking the caller's permission (`<plural>.<verb>`), writing in one transaction with its
 * audit event, and guarded by etags: an update or delete naming an etag that is no longer current is ABORTED.
 */
export class ResourceService<Spec> {
  private readonly type: protobuf.Type;
  /** JSON names of the server-set fields, which a PATCH body may carry but never implies in its mask. */
  private readonly serverSet: ReadonlySet<string>;
  /** Proto names of the server-set fields, which a mask may not name. */
  private readonly immutable: ReadonlySet<string>;

  constructor(
    readonly kind: ResourceKind<Spec>,
    protected readonly uow: UnitOfWork,
    protected readonly access: Access,
    protected readonly clock: Clock,
    protected readonly changes: ChangeRecorder,
  ) {
    this.type = loadProtoRoot().lookupType(kind.messageType);
    const outputOnly = [...OUTPUT_ONLY, ...kind.outputOnly].map((name) => {
      const field = this.type.fields[name];
      if (!field) throw new Error(`${kind.messageType} has no field ${name} (listed as output only by the ${kind.singular} kind)`);
      return field;
    });
    this.immutable = new Set(outputOnly.map((f) => f.name));
    this.serverSet = new Set(outputOnly.map(fieldJsonName));
  }

  async create(ctx: RequestContext, parent: string, id: string, input: JsonObject): Promise<JsonObject> {
    const projectId = parseProjectName(parent, 'parent');
    this.check(ctx, 'create', projectId);
    if (!id)
      throw invalidArgument(
        `${this.kind.idParam} is required: the id of the new ${this.kind.singular}, e.g. ?${this.kind.idParam}=${this.kind.idExample}`,
      );
    const name: ResourceName = { projectId, id: this.kind.checkId(id) };
    const now = this.clock.now();
    const spec = this.kind.parse(input, { name, action: 'create' });
    const record: ResourceRecord<Spec> = { ...name, spec, revision: 1, createTime: now, updateTime: now };
    const created = await this.uow.transaction(async (stores) => {
      await requireProject(stores, projectId);
      await this.kind.checkReferences?.(stores, record);
      await this.kind.hooks?.creating?.(stores, record, ctx);
      if (!(await this.kind.store(stores).insert(record))) throw alreadyExists(`${this.kind.singular} ${this.nameOf(name)} already exists`);
      await this.changes.record(stores, ctx, this.kind.methods.create, this.nameOf(name));
      return this.message(record);
    });
    await this.kind.hooks?.committed?.(name);
    return created;
  }

  async get(ctx: RequestContext, name: string): Promise<JsonObject> {
    const n = this.parseName(name);
    this.check(ctx, 'get', n.projectId);
    return this.message(await this.require(this.uow.stores, n));
  }

  async list(ctx: RequestContext, parent: string, pageSize: number, pageToken: string | undefined): Promise<Page<JsonObject>> {
    const projectId = parseProjectName(parent, 'parent');
    this.check(ctx, 'list', projectId);
    const page = await this.kind.store(this.uow.stores).list(projectId, pageSize, pageToken);
    return { items: page.items.map((r) => this.message(r)), nextPageToken: page.nextPageToken };
  }

  /**
   * Applies the masked fields of `patch` (the mask given, or the one its fields imply) to the stored message and
   * validates the result as a create would. A non-empty `patch.etag` must be the current etag (else ABORTED).
   */
  async update(ctx: RequestContext, name: string, patch: JsonObject, maskPaths: readonly string[] | undefined): Promise<JsonObject> {
    const n = this.parseName(name);
    this.check(ctx, 'update', n.projectId);
    const mask = resolveMask(this.type, maskPaths ?? impliedMask(patch, this.serverSet), this.immutable);
    const etag = typeof patch.etag === 'string' ? patch.etag : undefined;
    const updated = await this.uow.transaction(async (stores) => {
      const current = await this.require(stores, n, true);
      checkEtag(this.kind.singular, this.nameOf(n), current, etag);
      const merged = applyMask(this.kind.editable?.(current) ?? this.kind.toMessage(current), patch, mask);
      const spec = this.kind.parse(merged, { name: n, action: 'update' });
      const record: ResourceRecord<Spec> = { ...current, spec, revision: current.revision + 1, updateTime: this.clock.now() };
      await this.kind.checkReferences?.(stores, record);
      await this.kind.store(stores).update(record);
      await this.changes.record(stores, ctx, this.kind.methods.update, this.nameOf(n));
      return this.message(record);
    });
    await this.kind.hooks?.committed?.(n);
    return updated;
  }

  /** Deletes a resource (with its kind's side effects); a non-empty `options.etag` must be the current etag (else ABORTED). */
  async delete(ctx: RequestContext, name: string, options: DeleteOptions = {}): Promise<void> {
    const n = this.parseName(name);
    this.check(ctx, 'delete', n.projectId);
    await this.uow.transaction(async (stores) => {
      const current = await this.require(stores, n, true);
      checkEtag(this.kind.singular, this.nameOf(n), current, options.etag);
      await this.kind.hooks?.deleting?.(stores, current, options, ctx);
      await this.kind.store(stores).delete(n);
      await this.kind.hooks?.deleted?.(stores, current, ctx);
      await this.changes.record(stores, ctx, this.kind.methods.delete, this.nameOf(n));
    });
    await this.kind.hooks?.committed?.(n);
  }

  /** The stored resource, or NOT_FOUND naming it. */
  async require(stores: Stores, name: ResourceName, forUpdate = false): Promise<ResourceRecord<Spec>> {
    const record = await this.kind.store(stores).get(name, forUpdate);
    if (!record) throw notFound(`${this.kind.singular} ${this.nameOf(name)} does not exist`);
    return record;
  }

  /** Parses a full name of this kind; `field` names the request field in the error. */
  parseName(name: string, field = 'name'): ResourceName {
    return parseResourceName(this.kind, name, field);
  }

  nameOf(name: ResourceName): string {
    return formatResourceName(this.kind, name);
  }

  /** The API message of a record: name, the kind's fields, etag and times. */
  message(record: ResourceRecord<Spec>): JsonObject {
    const name = this.nameOf(record);
    return {
      name,
      ...this.kind.toMessage(record),
      etag: etagOf(name, record),
      createTime: record.createTime,
      updateTime: record.updateTime,
    };
  }

  private check(ctx: RequestContext, verb: 'get' | 'list' | 'create' | 'update' | 'delete', projectId: string): void {
    const permission: Permission = `${this.kind.plural}.${verb}` as const;
    this.access.check(ctx, permission, projectId);
  }
}
