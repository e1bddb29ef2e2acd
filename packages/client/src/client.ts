import { Metadata, type CallOptions as GrpcCallOptions, type ClientUnaryCall } from "@grpc/grpc-js";
import {
  defaultSchedulerPort,
  SchedulerClient,
  SolveRequest,
  type QueryRecord,
  type QueryRecordEntry,
  type SolveEvent,
  type SolveResult,
} from "@ttc/proto";
import { TtcError } from "./error.js";
import {
  planCall,
  resolveClientOptions,
  type CallOptions,
  type CallPlan,
  type ClientOptions,
  type ResolvedClientOptions,
} from "./options.js";
import { backoff, retryDelay } from "./retry.js";

/** Where a scheduler started on this machine with the default port listens (`npm start`, `ttc up`). */
export const localSchedulerAddress = `127.0.0.1:${defaultSchedulerPort}`;

/** A `SolveRequest` with any field left out; the rest take the proto defaults (`SolveRequest.create`). */
export type SolveRequestInit = NonNullable<Parameters<typeof SolveRequest.create>[0]>;

/**
 * The typed client of `ttc.v1.Scheduler`: `solve` as a promise, `solveStream` as an async iterable,
 * per-call deadlines, cancellation through `AbortSignal`, retries of `UNAVAILABLE`, and one error
 * type, {@link TtcError}. One client holds one channel: share it, and `close()` it when done.
 *
 * @example
 * const client = new TtcClient(localSchedulerAddress, { timeoutMs: 60_000 });
 * const result = await client.solve({ prompt: "What is 17 + 25?", maxBranches: 8 });
 * for await (const event of client.solveStream({ prompt: "What is 17 + 25?" })) console.log(event.event?.$case);
 * client.close();
 */
export class TtcClient {
  readonly #stub: SchedulerClient;
  readonly #options: ResolvedClientOptions;

  /** `address` is `host:port` (or any grpc-js target); the channel connects lazily, on the first call. */
  constructor(address: string, options: ClientOptions = {}) {
    this.#options = resolveClientOptions(options);
    this.#stub = new SchedulerClient(address, this.#options.credentials, this.#options.channelOptions);
  }

  /**
   * Runs the query to its end. Retries `UNAVAILABLE` within the retry policy and the deadline.
   * @throws TtcError with the call's status (`INVALID_ARGUMENT`, `DEADLINE_EXCEEDED`, `CANCELLED`, …).
   */
  async solve(request: SolveRequestInit, options: CallOptions = {}): Promise<SolveResult> {
    const plan = planCall(this.#options, options);
    const message = SolveRequest.create(request);
    return this.#retrying(plan, () =>
      this.#unary<SolveResult>(plan, (cb) => this.#stub.solve(message, new Metadata(), grpcCallOptions(plan), cb)),
    );
  }

  /**
   * Streams the query's events (branch started / progress / pruned / finished / failed, consensus
   * updates), the result last. The call starts when iteration does; leaving the loop early (`break`,
   * `return`, a throw) cancels it. `UNAVAILABLE` is retried only before the first event: a retry
   * after one would replay a different run of the query.
   * @throws TtcError from the iteration when the call fails.
   */
  async *solveStream(request: SolveRequestInit, options: CallOptions = {}): AsyncGenerator<SolveEvent, void, undefined> {
    const plan = planCall(this.#options, options);
    const message = SolveRequest.create(request);
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(plan.signal);
      const call = this.#stub.solveStream(message, new Metadata(), grpcCallOptions(plan));
      // The iterator reports the call's error itself; this listener only keeps the CANCELLED error
      // that `cancel()` emits after the iterator let go from being an uncaught 'error' event.
      call.on("error", () => {});
      const cancel = () => call.cancel();
      plan.signal?.addEventListener("abort", cancel, { once: true });
      let delivered = false;
      try {
        for await (const event of call as AsyncIterable<SolveEvent>) {
          delivered = true;
          yield event;
        }
        return;
      } catch (error) {
        const failure = TtcError.from(error, plan.signal);
        const wait = delivered ? undefined : retryDelay(failure, attempt, plan.retry, plan.deadline);
        if (wait === undefined) throw failure;
        await backoff(wait, plan.signal);
      } finally {
        plan.signal?.removeEventListener("abort", cancel);
        cancel(); // a no-op once the call has ended; cancels it when the consumer left early
      }
    }
  }

  /**
   * What is recorded of a query of the caller's tenant (its `query_id`): request, branches with their
   * fates and traces, the consensus over time, the result. `complete` is false while the query runs
   * or when its scheduler died. Retries `UNAVAILABLE` like `solve`.
   * @throws TtcError NOT_FOUND when there is no such record.
   */
  async getQuery(queryId: string, options: CallOptions = {}): Promise<QueryRecord> {
    const plan = planCall(this.#options, options);
    return this.#retrying(plan, () =>
      this.#unary<QueryRecord>(plan, (cb) => this.#stub.getQuery({ queryId }, new Metadata(), grpcCallOptions(plan), cb)),
    );
  }

  /** A query's record entries, the written ones first, then each new one, ending after the result. Leaving the loop cancels the call. */
  async *watchQuery(queryId: string, options: CallOptions = {}): AsyncGenerator<QueryRecordEntry, void, undefined> {
    const plan = planCall(this.#options, options);
    throwIfAborted(plan.signal);
    const call = this.#stub.watchQuery({ queryId }, new Metadata(), grpcCallOptions(plan));
    call.on("error", () => {});
    const cancel = () => call.cancel();
    plan.signal?.addEventListener("abort", cancel, { once: true });
    try {
      for await (const entry of call as AsyncIterable<QueryRecordEntry>) yield entry;
    } catch (error) {
      throw TtcError.from(error, plan.signal);
    } finally {
      plan.signal?.removeEventListener("abort", cancel);
      cancel();
    }
  }

  /** Closes the channel: its connection is shut, and later calls fail. */
  close(): void {
    this.#stub.close();
  }

  /** Runs `once` until it succeeds or fails with a status the retry policy does not retry (or the deadline is near). */
  async #retrying<T>(plan: CallPlan, once: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once();
      } catch (error) {
        const failure = TtcError.from(error, plan.signal);
        const wait = retryDelay(failure, attempt, plan.retry, plan.deadline);
        if (wait === undefined) throw failure;
        await backoff(wait, plan.signal);
      }
    }
  }

  /** One unary call, cancelled when the plan's signal aborts. */
  #unary<T>(plan: CallPlan, start: (callback: (error: Error | null, value?: T) => void) => ClientUnaryCall): Promise<T> {
    return new Promise((resolve, reject) => {
      throwIfAborted(plan.signal);
      const cancel = () => call.cancel();
      const call = start((error, value) => {
        plan.signal?.removeEventListener("abort", cancel);
        if (error) reject(error);
        else resolve(value as T);
      });
      plan.signal?.addEventListener("abort", cancel, { once: true });
    });
  }
}

function grpcCallOptions(plan: CallPlan): GrpcCallOptions {
  return { deadline: plan.deadline ?? Infinity };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw TtcError.from(signal.reason, signal);
}
