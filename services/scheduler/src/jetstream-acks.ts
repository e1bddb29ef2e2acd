import {
  createInbox,
  headers,
  NoRespondersError,
  TimeoutError,
  type Msg,
  type NatsConnection,
  type Subscription,
} from "@nats-io/nats-core";
import { JetStreamApiError, JetStreamError, type PubAck } from "@nats-io/jetstream";
import { natsTraceHeaders } from "@ttc/common";

/**
 * JetStream publishes with their acks gathered on one subscription. `js.publish` is a request: each
 * builds an error object for its stack, a timer and a one-off reply mapping, and a socket read of a
 * few hundred acks resolves them one after another in one task. Here a publish is a plain publish
 * with a reply subject under this scheduler's own inbox; the ack finds its promise by the subject's
 * last token, and one sweep, not a timer per publish, times out the ones never acked.
 */
export class JetStreamAcks {
  readonly #nc: NatsConnection;
  readonly #subject: string;
  readonly #timeoutMs: number;
  readonly #inbox: string;
  readonly #sub: Subscription;
  /** In publish order, which is expiry order: every publish waits the same `timeoutMs`. */
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  #sweep: NodeJS.Timeout | null = null;

  /**
   * @param subject where every publish goes (the task subject)
   * @param inboxPrefix the connection's reply-subject prefix (its NATS permissions let it read only those)
   */
  constructor(nc: NatsConnection, subject: string, timeoutMs: number, inboxPrefix?: string) {
    this.#nc = nc;
    this.#subject = subject;
    this.#timeoutMs = timeoutMs;
    this.#inbox = createInbox(inboxPrefix);
    this.#sub = nc.subscribe(`${this.#inbox}.*`, { callback: (_err, msg) => this.#onAck(msg) });
  }

  /**
   * Publishes `data` with `msgID` as its de-duplication id. Resolves with the stream's ack; rejects
   * with `TimeoutError` (no ack in time), `NoRespondersError` (no stream listens on the subject),
   * `JetStreamApiError` (the stream refused it) or the connection's error.
   */
  publish(data: Uint8Array, msgID: string, trace: Record<string, string> = {}): Promise<PubAck> {
    return new Promise<PubAck>((resolve, reject) => {
      const id = this.#next++;
      const h = headers();
      h.set("Nats-Msg-Id", msgID);
      natsTraceHeaders(trace, h);
      try {
        this.#nc.publish(this.#subject, data, { headers: h, reply: `${this.#inbox}.${id}` });
      } catch (err) {
        reject(err);
        return;
      }
      this.#pending.set(id, { resolve, reject, expiresAt: performance.now() + this.#timeoutMs });
      this.#armSweep();
    });
  }

  /** Publishes awaiting their ack. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Stops listening; publishes still pending are rejected as timed out (a retry may follow elsewhere). */
  close(): void {
    this.#sub.unsubscribe();
    for (const p of this.#pending.values()) p.reject(new TimeoutError());
    this.#pending.clear();
    if (this.#sweep) clearTimeout(this.#sweep);
    this.#sweep = null;
  }

  #onAck(msg: Msg): void {
    const id = Number(msg.subject.slice(this.#inbox.length + 1));
    const p = this.#pending.get(id);
    // An ack for a publish already timed out (and retried under the same msgID), or not one of ours.
    if (!p) return;
    this.#pending.delete(id);
    if (msg.headers?.hasError) {
      p.reject(
        msg.headers.code === 503 ? new NoRespondersError(this.#subject) : new JetStreamError(`JetStream answered ${msg.headers.status}`),
      );
      return;
    }
    let ack: {
      stream?: unknown;
      seq?: unknown;
      duplicate?: unknown;
      domain?: unknown;
      error?: { code: number; err_code: number; description: string };
    };
    try {
      ack = msg.json();
    } catch {
      p.reject(new JetStreamError("invalid ack response: not JSON"));
      return;
    }
    if (ack.error) p.reject(new JetStreamApiError(ack.error));
    else if (typeof ack.stream !== "string" || ack.stream === "" || typeof ack.seq !== "number")
      p.reject(new JetStreamError("invalid ack response"));
    else
      p.resolve({
        stream: ack.stream,
        seq: ack.seq,
        duplicate: ack.duplicate === true,
        ...(typeof ack.domain === "string" ? { domain: ack.domain } : {}),
      });
  }

  /** One timer while anything is pending, at the oldest publish's expiry. */
  #armSweep(): void {
    if (this.#sweep) return;
    const oldest = this.#pending.values().next();
    if (oldest.done) return;
    this.#sweep = setTimeout(
      () => {
        this.#sweep = null;
        const now = performance.now();
        for (const [id, p] of this.#pending) {
          if (p.expiresAt > now) break;
          this.#pending.delete(id);
          p.reject(new TimeoutError());
        }
        this.#armSweep();
      },
      Math.max(0, oldest.value.expiresAt - performance.now()) + 1,
    );
    this.#sweep.unref();
  }
}

interface Pending {
  resolve(ack: PubAck): void;
  reject(err: Error): void;
  /** `performance.now()` time. */
  expiresAt: number;
}
