/** A worker asks the primary to hand a payload to every other worker. */
export interface PublishMessage {
  readonly attestd: 'publish';
  readonly id: number;
  readonly topic: string;
  readonly payload: unknown;
}

/** The primary hands a sibling's payload to a worker (`from`: the publisher's worker index). */
export interface DeliverMessage {
  readonly attestd: 'deliver';
  readonly id: number;
  readonly from: number;
  readonly topic: string;
  readonly payload: unknown;
}

/** A worker has run what was delivered to it. */
export interface DeliveredMessage {
  readonly attestd: 'delivered';
  readonly id: number;
  readonly from: number;
}

/** The primary tells the publisher that every other worker has run its payload. */
export interface PublishedMessage {
  readonly attestd: 'published';
  readonly id: number;
}

const kind = (m: unknown): unknown => (m as { attestd?: unknown } | null)?.attestd;
const numbered = (m: unknown, key: 'id' | 'from'): boolean => Number.isInteger((m as Record<string, unknown>)[key]);

export const isPublish = (m: unknown): m is PublishMessage =>
  kind(m) === 'publish' && numbered(m, 'id') && typeof (m as PublishMessage).topic === 'string';
export const isDeliver = (m: unknown): m is DeliverMessage =>
  kind(m) === 'deliver' && numbered(m, 'id') && numbered(m, 'from') && typeof (m as DeliverMessage).topic === 'string';
export const isDelivered = (m: unknown): m is DeliveredMessage => kind(m) === 'delivered' && numbered(m, 'id') && numbered(m, 'from');
export const isPublished = (m: unknown): m is PublishedMessage => kind(m) === 'published' && numbered(m, 'id');
