import { currentDeadline, earliest, withDeadline, withoutDeadline, type RequestDeadline } from '../domain/request-deadline';

/** How a GroupCommit forms its groups. */
export interface GroupCommitOptions {
  /** Groups written at once (default 1: a group forms while the previous one commits). */
  readonly maxInFlight?: number;
  /** Items in one group at most (default 64); more wait for the next group. */
  readonly maxGroup?: number;
}

interface Waiter<I, O> {
  readonly item: I;
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
 */
export class GroupCommit<I, O> {
  private readonly maxInFlight: number;
  private readonly maxGroup: number;
  private queue: Waiter<I, O>[] = [];
  private inFlight = 0;

  constructor(
    private readonly write: (items: readonly I[]) => Promise<readonly O[]>,
    options: GroupCommitOptions = {},
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
    this.maxGroup = Math.max(1, options.maxGroup ?? 64);
  }

  /** Writes the item (with whatever else is waiting) and answers its output once that write returned. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, deadline: currentDeadline(), resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const group = this.queue.splice(0, this.maxGroup);
      this.inFlight++;
      void this.run(group).finally(() => {
        this.inFlight--;
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
      if (group.length === 1) {
        group[0]!.reject(err);
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
