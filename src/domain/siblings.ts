/**
 * The other processes of this attestd (the workers of `serve --workers N`, which share its ports), reached without
 * the database: what one of them must know at once, such as a token it revoked.
 */
export interface Siblings {
  /** Hands `payload` to every sibling's handler for `topic`; resolves once each has run it (or has gone). */
  publish(topic: string, payload: unknown): Promise<void>;
  /** Runs `handler` for what a sibling publishes on `topic`. */
  subscribe(topic: string, handler: (payload: unknown) => void): void;
}

/** A process that serves alone has no siblings. */
export const NO_SIBLINGS: Siblings = {
  publish: () => Promise.resolve(),
  subscribe: () => undefined,
};
