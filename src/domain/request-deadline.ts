import { AsyncLocalStorage } from 'node:async_hooks';

/** How long the work of one request may wait on the database, and the setting (or caller) that said so. */
export interface RequestDeadline {
  /** Epoch milliseconds at which the request gives up on the database. */
  readonly at: number;
  /** The length of the deadline, for messages. */
  readonly ms: number;
  /** What set it, for messages: `REQUEST_DEADLINE_MS`, `the caller's grpc-timeout`, … */
  readonly setting: string;
}

/** The deadline of a request whose work is running, and whether that request is still waiting for it. */
export interface ActiveDeadline extends RequestDeadline {
  /** False once the request has been answered: work it left behind (a buffer flush it started) is not bound by it. */
  isActive(): boolean;
}

const scopes = new AsyncLocalStorage<{ readonly deadline: RequestDeadline; done: boolean }>();

/** A deadline `ms` from now, set by `setting`. */
export function deadlineIn(ms: number, setting: string, now = Date.now()): RequestDeadline {
  return { at: now + ms, ms, setting };
}

/** The earlier of two deadlines (the first when they are equal). */
export function earliest(a: RequestDeadline, b: RequestDeadline | undefined): RequestDeadline {
  return b !== undefined && b.at < a.at ? b : a;
}

/** Runs `work` bound by `deadline`: the database statements it sends are abandoned once the deadline passes. */
export async function withDeadline<T>(deadline: RequestDeadline, work: () => Promise<T>): Promise<T> {
  const scope = { deadline, done: false };
  try {
    return await scopes.run(scope, work);
  } finally {
    scope.done = true;
  }
}

/** The deadline of the request whose work is running now, or undefined (background work, or the request has been answered). */
export function currentDeadline(): ActiveDeadline | undefined {
  const scope = scopes.getStore();
  if (scope === undefined || scope.done) return undefined;
  return { ...scope.deadline, isActive: () => !scope.done };
}

/** Runs `work` outside any request's deadline (work shared by several requests binds itself with `withDeadline`). */
export function withoutDeadline<T>(work: () => Promise<T>): Promise<T> {
  return scopes.exit(work);
}
