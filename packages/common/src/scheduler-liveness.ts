/** The scheduler's `TTC_WORKER_LIVENESS_MS` default, for one that has not said. */
const defaultWorkerLivenessMs = 3_000;

/** The shortest silence taken for a dead scheduler, whatever its interval. */
export const minSilenceMs = 2_000;

/**
 * Which schedulers are alive, from their heartbeats: a worker stops the branches of a scheduler that
 * fell silent (killed, partitioned away) instead of generating for nobody until the task's deadline,
 * and a scheduler resumes a retried request whose owner fell silent. Pure: the caller passes the clock.
 */
export class SchedulerLiveness {
  readonly #seen = new Map<string, { at: number; intervalMs: number; workerLivenessMs: number }>();
  readonly #listeningSince: number;

  /**
   * @param unseenGraceMs how long after the worker started listening a scheduler it has never heard
   *   counts as gone (its tasks were left in the queue by a scheduler that died before)
   */
  constructor(
    now: number,
    private readonly unseenGraceMs: number,
  ) {
    this.#listeningSince = now;
  }

  /** `workerLivenessMs`: how long the scheduler waits for a worker's heartbeat before dispatching its branches again (0: not said). */
  beat(schedulerId: string, intervalMs: number, now: number, workerLivenessMs = 0): void {
    this.#seen.set(schedulerId, {
      at: now,
      intervalMs: Math.min(Math.max(intervalMs, 50), 60_000),
      workerLivenessMs: workerLivenessMs > 0 ? Math.min(Math.max(workerLivenessMs, 100), 600_000) : defaultWorkerLivenessMs,
    });
  }

  /** How long the scheduler waits for this worker before dispatching its branches again (its default when it has not said). */
  workerLivenessMs(schedulerId: string): number {
    return this.#seen.get(schedulerId)?.workerLivenessMs ?? defaultWorkerLivenessMs;
  }

  /**
   * True once the scheduler has been silent for two of its heartbeat intervals, and never less than
   * {@link minSilenceMs} (a loaded scheduler's event loop can stall for hundreds of milliseconds, and
   * a false alarm would cut its branches); or was never heard within the grace.
   */
  gone(schedulerId: string, now: number): boolean {
    const seen = this.#seen.get(schedulerId);
    if (!seen) return now - this.#listeningSince > this.unseenGraceMs;
    return now - seen.at > Math.max(2 * seen.intervalMs, minSilenceMs);
  }

  /** Forgets schedulers silent for longer than `ms` (ids come and go with restarts). */
  forgetOlderThan(ms: number, now: number): void {
    for (const [id, seen] of this.#seen) if (now - seen.at > ms) this.#seen.delete(id);
  }
}
