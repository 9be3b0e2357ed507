import { currentDeadline, earliest, withDeadline, withoutDeadline, type RequestDeadline } from './request-deadline';

/** How a GroupCommit forms its groups. */
export interface GroupCommitOptions {
  /** Groups written at once (default 1: a group forms while the previous one commits). */
  readonly maxInFlight?: number;
  /** Items in one group at most (default 64); more wait for the next group. */
  readonly maxGroup?: number;
  /**
   * Whether the items of a group that failed with `err` are written again alone (default: always). Answer false
   * where the error leaves the group's outcome unknown (a connection cut during its commit), so that no item is
   * written twice: every caller then gets `err`.
   */
  readonly retryAlone?: (err: unknown) => boolean;
}

/** How a GroupCommit of items that only share a write with items of the same key (e.g. one project) forms its groups. */
export interface KeyedGroupCommitOptions<I> extends GroupCommitOptions {
  /** The key of an item: a group holds items of one key, and `maxInFlight` counts the groups of each key. */
  readonly key: (item: I) => string;
}

interface Waiter<I, O> {
  readonly item: I;
  readonly key: string;
  /** The submitting request's deadline, if it has one. */
  readonly deadline: RequestDeadline | undefined;
  readonly resolve: (out: O) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit (ADR 0078): items submitted while a write is in flight are written together by the next one,
 * in arrival order, and each caller is answered once that write has returned (committed). A lone item is written
 * at once, alone. `write` answers one output per item, in order, all-or-nothing; when a group of several fails,
 * each of its items is written again alone, so that one bad item fails only its own caller and every caller gets
 * the outcome of a write that contained its item and nothing that failed. A write is bound by the earliest deadline
 * of the requests in it (ADR 0075): one that passes fails the group, and each item alone then has its own.
 * With a `key`, a group holds items of one key only and each key has its own groups in flight (ADR 0081).
 */
export class GroupCommit<I, O> {
  private readonly maxInFlight: number;
  private readonly maxGroup: number;
  private readonly keyOf: (item: I) => string;
  private readonly retryAlone: (err: unknown) => boolean;
  private queue: Waiter<I, O>[] = [];
  /** Groups being written, per key. */
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly write: (items: readonly I[]) => Promise<readonly O[]>,
    options: GroupCommitOptions | KeyedGroupCommitOptions<I> = {},
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
    this.maxGroup = Math.max(1, options.maxGroup ?? 64);
    this.keyOf = 'key' in options ? options.key : () => '';
    this.retryAlone = options.retryAlone ?? (() => true);
  }

  /** Writes the item (with whatever else is waiting) and answers its output once that write returned. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, key: this.keyOf(item), deadline: currentDeadline(), resolve, reject });
      this.drain();
    });
  }

  /** Starts a group for every waiting key with fewer than `maxInFlight` groups being written, oldest waiter first. */
  private drain(): void {
    let i = 0;
    while (i < this.queue.length) {
      const { key } = this.queue[i]!;
      const writing = this.inFlight.get(key) ?? 0;
      if (writing >= this.maxInFlight) {
        i++;
        continue;
      }
      const group: Waiter<I, O>[] = [];
      const rest = this.queue.slice(0, i);
      for (const w of this.queue.slice(i)) {
        if (w.key === key && group.length < this.maxGroup) group.push(w);
        else rest.push(w);
      }
      this.queue = rest;
      this.inFlight.set(key, writing + 1);
      void this.run(group).finally(() => {
        const left = this.inFlight.get(key)! - 1;
        if (left === 0) this.inFlight.delete(key);
        else this.inFlight.set(key, left);
        this.drain();
      });
    }
  }

  private async run(group: readonly Waiter<I, O>[]): Promise<void> {
    try {
      const outs = await this.writeGroup(group);
      group.forEach((w, i) => w.resolve(outs[i]!));
      return;
    } catch (err) {
      if (group.length === 1 || !this.retryAlone(err)) {
        for (const w of group) w.reject(err);
        return;
      }
    }
    // The group rolled back as a whole: each item again, alone and in order.
    for (const w of group) {
      try {
        w.resolve((await this.writeGroup([w]))[0]!);
      } catch (err) {
        w.reject(err);
      }
    }
  }

  /** Writes the waiters' items bound by the earliest of their deadlines (none when none has one). */
  private async writeGroup(waiters: readonly Waiter<I, O>[]): Promise<readonly O[]> {
    const items = waiters.map((w) => w.item);
    const deadline = waiters.reduce<RequestDeadline | undefined>(
      (d, w) => (w.deadline && d ? earliest(d, w.deadline) : (d ?? w.deadline)),
      undefined,
    );
    const outs = await withoutDeadline(() => (deadline ? withDeadline(deadline, () => this.write(items)) : this.write(items)));
    if (outs.length !== items.length) throw new Error(`group commit: ${items.length} items written, ${outs.length} outputs answered`);
    return outs;
  }
}
