/** A revisioned project resource's name: its project and its id within its kind's collection. */
export interface ResourceName {
  readonly projectId: string;
  readonly id: string;
}

/** A revisioned project resource as stored: its name, its typed spec, its revision and times. */
export interface ResourceRecord<Spec> extends ResourceName {
  readonly spec: Spec;
  /** 1 when created, one more with every update. */
  readonly revision: number;
  readonly createTime: string;
  readonly updateTime: string;
}
