import type { Permission } from '../auth/permissions';
import type { JsonObject } from '../domain/message-types';
import type { RequestContext } from '../domain/request-context';
import type { ResourceName, ResourceRecord } from '../domain/resources/resource-record';
import type { ResourceStore } from '../domain/stores/resource-store';
import type { Stores } from '../domain/stores/unit-of-work';
import type { ResourceNaming } from './resource-names';

type CrudVerb = 'get' | 'list' | 'create' | 'update' | 'delete';
type PrefixOf<P> = P extends `${infer C}.create` ? C : never;

/** Collections whose five CRUD permissions (`<plural>.get` … `<plural>.delete`) the permission table holds. */
export type ResourceCollection = {
  [C in PrefixOf<Permission>]: `${C}.${CrudVerb}` extends Permission ? C : never;
}[PrefixOf<Permission>];

/** What `parse` knows besides the message: which resource it is for, and whether it is created or updated. */
export interface ParseContext {
  readonly name: ResourceName;
  readonly action: 'create' | 'update';
}

/** A delete's conditions: the etag it expects (AIP-154) and whether dependents go with the resource (AIP-135). */
export interface DeleteOptions {
  readonly etag?: string;
  readonly force?: boolean;
}

/** Side effects of a kind, run inside the transaction of the change they belong to. */
export interface ResourceHooks<Spec> {
  /** Before the row is inserted (e.g. a witness's Grafeas note, which the row references). */
  creating?(stores: Stores, record: ResourceRecord<Spec>, ctx: RequestContext): Promise<void>;
  /** Before the row is deleted: refuse with FAILED_PRECONDITION, or remove dependents (`options.force`). */
  deleting?(stores: Stores, record: ResourceRecord<Spec>, options: DeleteOptions, ctx: RequestContext): Promise<void>;
  /** After the row is deleted (e.g. the note the row referenced). */
  deleted?(stores: Stores, record: ResourceRecord<Spec>, ctx: RequestContext): Promise<void>;
  /** After a create, update or delete committed, before the call answers (e.g. to reload a cache of the kind). */
  committed?(name: ResourceName): Promise<void>;
}

/**
 * A kind of revisioned project resource, as the resource kit serves it: its names, its proto message and
 * service, its typed spec (`parse` validates a message into it, `toMessage` shows it), the references it
 * checks and the side effects of its changes. ResourceService, resourceHandlers and the CLI group builder do
 * the rest alike for every kind.
 */
export interface ResourceKind<Spec> extends ResourceNaming {
  /** In messages: "policy", "signing rule", "witness". */
  readonly singular: string;
  /** The collection segment, the list response's field and the permission prefix ("policies"). */
  readonly plural: ResourceCollection;
  /** The JSON name of the resource field of the Create and Update requests ("policy", "signingRule"); field errors start with it. */
  readonly field: string;
  /** The JSON name of the Create request's id parameter ("policyId"). */
  readonly idParam: string;
  /** An id to show in the "is required" message ("prod-default"). */
  readonly idExample: string;
  /** The proto message ("attestd.v1.Policy"), for update masks. */
  readonly messageType: string;
  /** The proto service ("attestd.v1.Policies") and its five methods, which also name the audit events. */
  readonly service: string;
  readonly methods: Readonly<Record<CrudVerb, string>>;
  /** Proto names of the message's fields the server sets besides name, etag, create_time and update_time. */
  readonly outputOnly: readonly string[];
  /** This kind's store among the stores of a unit of work. */
  store(stores: Stores): ResourceStore<Spec>;
  /** Validates a message (a create's body, or the stored message with a PATCH applied) into a spec; INVALID_ARGUMENT names the field. */
  parse(input: JsonObject, ctx: ParseContext): Spec;
  /** The message's own fields for a record; the kit adds name, etag, createTime and updateTime. */
  toMessage(record: ResourceRecord<Spec>): JsonObject;
  /** The message a PATCH is applied to (default: toMessage). */
  editable?(record: ResourceRecord<Spec>): JsonObject;
  /** Checks what the spec refers to (NOT_FOUND, FAILED_PRECONDITION), inside the create or update transaction. */
  checkReferences?(stores: Stores, record: ResourceRecord<Spec>): Promise<void>;
  readonly hooks?: ResourceHooks<Spec>;
}
