import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { TraceChunk } from "@ttc/proto";
import { tryDecode, type WireNames } from "@ttc/common";
import type { SchedulerMetrics } from "./metrics.js";

/** Takes the decoded chunks of one query. */
export type ChunkHandler = (chunk: TraceChunk) => void;

/**
 * One subscription for the trace chunks of all this scheduler's queries, routed by the query id in
 * the subject. Made once at start, so a query starts without a subscription of its own and the round
 * trip that would make sure the server had it before any worker could answer; at a thousand queries
 * it also spares the server a thousand subscriptions coming and going.
 */
export class TraceRouter {
  readonly #routes = new Map<string, ChunkHandler>();
  /** Answered queries still listened to for a while, and until when. */
  readonly #retired = new Map<string, { handler: ChunkHandler; until: number }>();
  #sub: Subscription | null = null;
  #sweep: NodeJS.Timeout | null = null;

  constructor(private readonly metrics: SchedulerMetrics) {}

  start(nc: NatsConnection, names: WireNames, schedulerId: string): void {
    this.#sub = nc.subscribe(names.traceWildcard(schedulerId), {
      callback: (err, msg) => {
        if (err) return;
        const queryId = msg.subject.slice(msg.subject.lastIndexOf(".") + 1);
        const route = this.#routes.get(queryId) ?? this.#retired.get(queryId)?.handler;
        // A chunk of a query that answered long ago is of no use any more.
        if (!route) return;
        const chunk = tryDecode(TraceChunk, msg.data);
        if (chunk) route(chunk);
        else this.metrics.malformedMessages.inc({ kind: "trace" });
      },
    });
  }

  stop(): void {
    this.#sub?.unsubscribe();
    if (this.#sweep) clearInterval(this.#sweep);
  }

  /**
   * After its query answered, hands `queryId`'s chunks to `handler` for `ms` more: a worker that
   * froze and woke, or missed a cancel, is still streaming, and can be told to stop.
   */
  retire(queryId: string, handler: ChunkHandler, ms: number, now: number = Date.now()): void {
    this.#routes.delete(queryId);
    this.#retired.set(queryId, { handler, until: now + ms });
    this.#sweep ??= setInterval(() => {
      const t = Date.now();
      for (const [id, r] of this.#retired) if (r.until <= t) this.#retired.delete(id);
    }, 5_000);
    this.#sweep.unref?.();
  }

  /** Sends the chunks of `queryId` to `handler` until the returned function is called. */
  route(queryId: string, handler: ChunkHandler): () => void {
    this.#routes.set(queryId, handler);
    return () => this.#routes.delete(queryId);
  }
}
