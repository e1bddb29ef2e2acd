/**
 * Remembers recently cancelled queries and pruned branches, so a task pulled from the queue after
 * its cancel arrived is dropped instead of generated. Bounded in size and age. A cancel counts for a
 * task only when it carried the task's cancel key: a forged cancel is remembered under its own key,
 * which no task has.
 */
export class CancelRegistry {
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number = 10 * 60_000,
    private readonly maxEntries: number = 100_000,
  ) {}

  /** Marks a whole query (branch undefined) or one branch as cancelled. */
  add(queryId: string, branch: number | undefined, cancelKey: Uint8Array, now: number): void {
    const k = key(queryId, branch, cancelKey);
    this.entries.delete(k);
    this.entries.set(k, now + this.ttlMs);
    // Map iteration is insertion order, so the first entries are the oldest.
    for (const [k, expires] of this.entries) {
      if (this.entries.size <= this.maxEntries && expires > now) break;
      this.entries.delete(k);
    }
  }

  has(queryId: string, branch: number, cancelKey: Uint8Array, now: number): boolean {
    for (const k of [key(queryId, undefined, cancelKey), key(queryId, branch, cancelKey)]) {
      const expires = this.entries.get(k);
      if (expires !== undefined && expires > now) return true;
    }
    return false;
  }
}

function key(queryId: string, branch: number | undefined, cancelKey: Uint8Array): string {
  const k = Buffer.from(cancelKey.buffer, cancelKey.byteOffset, cancelKey.byteLength).toString("base64");
  return branch === undefined ? `${queryId} ${k}` : `${queryId}/${branch} ${k}`;
}
