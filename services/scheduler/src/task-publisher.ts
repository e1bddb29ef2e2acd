import { isTransportFailure } from "./errors.js";
import { FifoQueue } from "./fifo-queue.js";

/** Publishes one message to JetStream and resolves with its ack (`JetStreamAcks.publish`): the stream sequence it got. */
export type PublishTask = (data: Uint8Array, msgID: string, trace?: Record<string, string>) => Promise<{ seq?: number } | void>;

/** One branch task to enqueue. */
export interface TaskToPublish {
  data: Uint8Array;
  /** JetStream de-duplication id: a retried publish of the same task is stored once. */
  msgID: string;
  /** W3C trace context of the query (`traceparent`), for the worker's span; empty when tracing is off. */
  trace?: Record<string, string>;
  /** Epoch ms after which the task is worthless (the query's deadline). */
  deadlineAt: number;
  /** Asked before every try: false once the query no longer needs the task (it was decided). */
  wanted(): boolean;
}

/**
 * How an enqueue ended: `published` (the stream acked it), `abandoned` (the query stopped needing it,
 * or its deadline passed while the stream did not answer; the query's own deadline reports that), or
 * `failed` (the stream refused it for good, e.g. too large: retrying cannot help).
 */
export type PublishOutcome =
  /** `seq`: the task's sequence in the stream, when the ack said. */
  { kind: "published"; seq?: number } | { kind: "abandoned"; lastError: string } | { kind: "failed"; error: string };

export interface TaskPublisherOptions {
  /** Publishes awaiting their ack at once, across all queries; later ones wait their turn in order. */
  maxInFlight: number;
  /** First wait before retrying a publish the stream did not ack; doubles per try up to `maxRetryDelayMs`. */
  firstRetryDelayMs: number;
  maxRetryDelayMs: number;
}

export interface TaskPublisherEvents {
  /** A publish was not acked in time (or found no stream) and will be tried again. */
  retried?(error: string): void;
}

/**
 * Flow control for branch-task publishes, shared by every query of a scheduler. A burst of thousands
 * of tasks (hundreds of queries starting at once) would otherwise be thousands of concurrent
 * JetStream requests whose acks time out together; here at most `maxInFlight` await their ack and
 * the rest queue in arrival order. A publish the stream did not ack in time is retried with backoff
 * (the task's msgID makes a retry that did land a no-op) until the task's deadline: an overloaded
 * stream delays a branch, it never fails it.
 */
export class TaskPublisher {
  readonly #publish: PublishTask;
  readonly #options: TaskPublisherOptions;
  readonly #events: TaskPublisherEvents;
  readonly #waiting = new FifoQueue<() => void>();
  #inFlight = 0;

  constructor(publish: PublishTask, options: TaskPublisherOptions, events: TaskPublisherEvents = {}) {
    this.#publish = publish;
    this.#options = options;
    this.#events = events;
  }

  /** Enqueues the task; never rejects. */
  async publish(task: TaskToPublish, now: () => number = Date.now): Promise<PublishOutcome> {
    let lastError = "";
    for (let delay = this.#options.firstRetryDelayMs; ; delay = Math.min(delay * 2, this.#options.maxRetryDelayMs)) {
      await this.#slot();
      try {
        if (!task.wanted() || now() >= task.deadlineAt) return { kind: "abandoned", lastError };
        const seq = (await this.#publish(task.data, task.msgID, task.trace))?.seq;
        return seq === undefined ? { kind: "published" } : { kind: "published", seq };
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        // The stream did not answer (yet): the ack timed out, no JetStream responder was there (a server
        // restarting, the stream being recreated), or JetStream said it is unavailable. An API error
        // (message too large, stream full) is an answer, and final.
        if (!isTransportFailure(err)) return { kind: "failed", error: lastError };
      } finally {
        this.#release();
      }
      // Jitter spreads the retries of a burst that timed out together.
      const wait = delay * (0.5 + Math.random() / 2);
      if (now() + wait >= task.deadlineAt) return { kind: "abandoned", lastError };
      this.#events.retried?.(lastError);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Takes a slot; a released slot passes straight to the longest waiter, so the bound holds and order is kept. */
  async #slot(): Promise<void> {
    if (this.#inFlight < this.#options.maxInFlight) this.#inFlight++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.take();
    if (next) next();
    else this.#inFlight--;
  }
}
