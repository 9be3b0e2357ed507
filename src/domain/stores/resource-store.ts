import type { Page } from '../message-types';
import type { ResourceName, ResourceRecord } from '../resources/resource-record';

/** Storage of one kind of revisioned project resource (the resource kit's port; src/resources). */
export interface ResourceStore<Spec> {
  /** false when the name is taken. */
  insert(record: ResourceRecord<Spec>): Promise<boolean>;
  /** With `forUpdate`, the row stays locked until the transaction ends. */
  get(name: ResourceName, forUpdate?: boolean): Promise<ResourceRecord<Spec> | undefined>;
  /** The resources of those names that exist, in no particular order. */
  getMany(names: readonly ResourceName[]): Promise<ResourceRecord<Spec>[]>;
  /** One page of a project's resources in id order. */
  list(projectId: string, pageSize: number, pageToken: string | undefined): Promise<Page<ResourceRecord<Spec>>>;
  /** Replaces the stored resource of the record's name (which exists). */
  update(record: ResourceRecord<Spec>): Promise<void>;
  /** false when there was none. */
  delete(name: ResourceName): Promise<boolean>;
}
