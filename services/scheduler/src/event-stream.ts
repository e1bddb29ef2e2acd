import type { SolveEvent } from "@ttc/proto";

/** Where a query's events go: a gRPC server stream's `write` (false once its buffer is full) and `drain`. */
export interface EventSink {
  write(event: SolveEvent): boolean;
  once(event: "drain", listener: () => void): unknown;
}

/** Events held at most for a client that stopped reading, past the coalesced ones; beyond, the stream ends. */
export const maxHeldEvents = 10_000;

/**
 * Writes a query's events to a stream without buffering without bound for a client that stops
 * reading. While the stream is full, events wait here, and a branch's progress and the consensus
 * are coalesced: a newer one replaces the one still waiting (it carries the newer totals). Other
 * events (a branch started, pruned, finished, failed) all wait, in order, up to {@link maxHeldEvents};
 * past that `overflow` is called once and nothing more is written. Pure apart from the sink.
 */
export class EventStream {
  readonly #sink: EventSink;
  readonly #held: (SolveEvent | undefined)[] = [];
  /** Where the waiting event of each coalescing key sits in `#held`. */
  readonly #slots = new Map<string, number>();
  #blocked = false;
  #overflowed = false;
  #coalesced = 0;

  constructor(
    sink: EventSink,
    private readonly overflow: () => void,
  ) {
    this.#sink = sink;
  }

  /** Events replaced by a newer one while the client was not reading. */
  get coalesced(): number {
    return this.#coalesced;
  }

  write(event: SolveEvent): void {
    if (this.#overflowed) return;
    if (!this.#blocked) return this.#send(event);
    const key = coalescingKey(event);
    const slot = key === undefined ? undefined : this.#slots.get(key);
    if (slot !== undefined) {
      this.#held[slot] = event;
      this.#coalesced++;
      return;
    }
    if (this.#held.length - this.#slots.size >= maxHeldEvents) {
      this.#overflowed = true;
      this.#held.length = 0;
      this.#slots.clear();
      return this.overflow();
    }
    if (key !== undefined) this.#slots.set(key, this.#held.length);
    this.#held.push(event);
  }

  /** Writes the last event (the result) whatever the state: one message more is always taken. */
  end(event: SolveEvent): void {
    if (this.#overflowed) return;
    for (const e of this.#held.splice(0)) if (e) this.#sink.write(e);
    this.#slots.clear();
    this.#sink.write(event);
  }

  #send(event: SolveEvent): void {
    if (this.#sink.write(event)) return;
    this.#blocked = true;
    this.#sink.once("drain", () => this.#drain());
  }

  #drain(): void {
    this.#blocked = false;
    const waiting = this.#held.splice(0);
    this.#slots.clear();
    for (let i = 0; i < waiting.length; i++) {
      const e = waiting[i];
      if (!e) continue;
      if (this.#blocked) {
        // Full again: the rest wait, coalescing from here on.
        for (const rest of waiting.slice(i)) if (rest) this.write(rest);
        return;
      }
      this.#send(e);
    }
  }
}

/** Events a newer one of the same key makes obsolete: a branch's progress, the consensus. */
function coalescingKey(event: SolveEvent): string | undefined {
  const e = event.event;
  if (e?.$case === "branchProgress") return `progress/${e.value.index}`;
  if (e?.$case === "consensus") return "consensus";
  return undefined;
}
