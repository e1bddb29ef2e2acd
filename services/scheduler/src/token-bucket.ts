/**
 * A token bucket over generated tokens, on a caller's clock (ms). It fills at `perMinute / 60` tokens
 * a second up to `burst`; charges take it below zero when a query spends more than was left, and
 * that debt is paid back by the refill before the bucket admits again. Pure: no timers.
 */
export class TokenBucket {
  #level: number;
  #at: number;
  readonly #perMs: number;

  constructor(
    readonly perMinute: number,
    readonly burst: number,
    now: number,
  ) {
    this.#perMs = perMinute / 60_000;
    this.#level = burst;
    this.#at = now;
  }

  /** Tokens left at `now` (negative: debt). */
  level(now: number): number {
    if (now > this.#at) {
      this.#level = Math.min(this.burst, this.#level + (now - this.#at) * this.#perMs);
      this.#at = now;
    }
    return this.#level;
  }

  /** Spends `tokens` at `now`; returns the level after. */
  charge(tokens: number, now: number): number {
    return (this.#level = this.level(now) - tokens);
  }

  /** Ms until the bucket holds at least one token again (0 when it does now). */
  msUntilPositive(now: number): number {
    const level = this.level(now);
    return level >= 1 ? 0 : Math.ceil((1 - level) / this.#perMs);
  }
}
