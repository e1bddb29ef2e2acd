import { FifoQueue } from "./fifo-queue.js";

/**
 * Spreads query starts over event-loop turns: at most `perTurn` queries start in one turn, the rest
 * in later turns, in arrival order. A thousand calls can arrive in one read of the socket; starting
 * them all at once (16,000 tasks encoded and queued) would hold the event loop for a second, and
 * with it every timer, heartbeat and chunk of the queries already running. At low load a query
 * starts at once.
 */
export class StartPacer {
  readonly #waiting = new FifoQueue<() => void>();
  #usedThisTurn = 0;
  #turnEndArmed = false;

  constructor(private readonly perTurn: number) {}

  /** Resolves when the caller may start: at once while this turn has room, else in a later turn. */
  turn(): Promise<void> {
    this.#armTurnEnd();
    if (this.#usedThisTurn < this.perTurn && this.#waiting.length === 0) {
      this.#usedThisTurn++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** At the end of this turn (`setImmediate`), a new turn's room goes to the longest waiters. */
  #armTurnEnd(): void {
    if (this.#turnEndArmed) return;
    this.#turnEndArmed = true;
    setImmediate(() => {
      this.#turnEndArmed = false;
      this.#usedThisTurn = 0;
      for (let next = this.#waiting.take(); next; next = this.#usedThisTurn < this.perTurn ? this.#waiting.take() : undefined) {
        this.#usedThisTurn++;
        next();
      }
      if (this.#waiting.length > 0) this.#armTurnEnd();
    });
  }
}
