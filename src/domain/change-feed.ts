/**
 * Per-project generation numbers that move whenever anything in a project changes (policies, witnesses,
 * keys, attestations). Verdict caches key on them, so a change applies to the very next review.
 * Local commits bump at once; other replicas' commits arrive through Postgres NOTIFY.
 */
export class ChangeFeed {
  private readonly generations = new Map<string, number>();
  private global = 0;
  private readonly listeners = new Set<(projectId: string | undefined) => void>();

  /** The current generation of a project (also moves when the feed loses track, e.g. a lost connection). */
  generation(projectId: string): string {
    return `${this.global}.${this.generations.get(projectId) ?? 0}`;
  }

  /** Records that projects changed. */
  bump(projectIds: Iterable<string>): void {
    for (const p of projectIds) {
      this.generations.set(p, (this.generations.get(p) ?? 0) + 1);
      for (const l of this.listeners) l(p);
    }
  }

  /** Invalidates every project at once (after missing notifications). */
  bumpAll(): void {
    this.global++;
    for (const l of this.listeners) l(undefined);
  }

  /** Calls `listener` on every change; returns an unsubscribe function. */
  subscribe(listener: (projectId: string | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
