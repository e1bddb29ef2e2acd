/**
 * Remembers recently cancelled queries and pruned branches, so a task pulled from the queue after
 * its cancel arrived is dropped instead of generated. Bounded in size and age.
 */
export class CancelRegistry {
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number = 10 * 60_000,
    private readonly maxEntries: number = 100_000,
  ) {}

  /** Marks a whole query (branch undefined) or one branch as cancelled. */
  add(queryId: string, branch: number | undefined, now: number): void {
    this.entries.delete(key(queryId, branch));
    this.entries.set(key(queryId, branch), now + this.ttlMs);
    // Map iteration is insertion order, so the first entries are the oldest.
    for (const [k, expires] of this.entries) {
      if (this.entries.size <= this.maxEntries && expires > now) break;
      this.entries.delete(k);
    }
  }

  has(queryId: string, branch: number, now: number): boolean {
    for (const k of [key(queryId, undefined), key(queryId, branch)]) {
      const expires = this.entries.get(k);
      if (expires !== undefined && expires > now) return true;
    }
    return false;
  }
}

function key(queryId: string, branch: number | undefined): string {
  return branch === undefined ? queryId : `${queryId}/${branch}`;
}
