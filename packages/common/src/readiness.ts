/**
 * Whether a process should be sent work, and if not, why: the state behind `/readyz` (and the
 * scheduler's gRPC health). It is ready while nothing blocks it.
 */
export class Readiness {
  private readonly blocked = new Set<string>();
  private readonly polled = new Map<string, () => boolean>();
  private readonly listeners: ((ready: boolean) => void)[] = [];
  private last = true;

  /** Marks a reason the process is not ready, e.g. "starting", "nats disconnected", "draining". */
  block(reason: string): void {
    this.blocked.add(reason);
    this.changed();
  }

  /** Clears a reason set with {@link block}. */
  unblock(reason: string): void {
    this.blocked.delete(reason);
    this.changed();
  }

  /**
   * A reason looked up at every read instead of pushed, for state another component already polls
   * (a backend's engine health): `/readyz` sees it at once, listeners at the next pushed change.
   */
  blockWhile(reason: string, blocked: () => boolean): void {
    this.polled.set(reason, blocked);
  }

  /** Why the process is not ready now; empty when it is. */
  reasons(): string[] {
    return [...this.blocked, ...[...this.polled].filter(([, blocked]) => blocked()).map(([reason]) => reason)];
  }

  get ready(): boolean {
    return this.reasons().length === 0;
  }

  /** Calls `listener` whenever a {@link block} or {@link unblock} turns readiness over. */
  onChange(listener: (ready: boolean) => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    const ready = this.ready;
    if (ready === this.last) return;
    this.last = ready;
    for (const listener of this.listeners) listener(ready);
  }
}
