/**
 * Counts the time this process's event loop was stalled, so a silence it caused itself is not
 * mistaken for the silence of others: heartbeats that arrived during a 5 s stall sit unread in the
 * socket, and without this every worker would look dead for a moment after it.
 *
 * A tick every `tickMs` notes how late it ran; lateness beyond `toleranceMs` counts as stalled.
 */
export class StallMeter {
  #stalledMs = 0;
  #lastTick: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tickMs = 100,
    private readonly toleranceMs = 50,
    now: number = Date.now(),
  ) {
    this.#lastTick = now;
  }

  start(): void {
    this.#timer = setInterval(() => this.tick(), this.tickMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Notes a tick at `now` (the timer calls it; tests call it with their own clock). */
  tick(now: number = Date.now()): void {
    this.#stalledMs += this.#lateness(now);
    this.#lastTick = now;
  }

  /** Total stalled milliseconds up to `now`, including a stall still going on (ticks not yet run). */
  stalledMs(now: number = Date.now()): number {
    return this.#stalledMs + this.#lateness(now);
  }

  #lateness(now: number): number {
    const late = now - this.#lastTick - this.tickMs;
    return late > this.toleranceMs ? late : 0;
  }
}
