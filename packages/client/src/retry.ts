import { setTimeout as delay } from "node:timers/promises";
import { status } from "@grpc/grpc-js";
import { TtcError } from "./error.js";
import { numberInRange } from "./number-range.js";

/**
 * The status codes a call is retried on, each with the reason. Every other code is final:
 * `INVALID_ARGUMENT` and `FAILED_PRECONDITION` fail the same way again; `DEADLINE_EXCEEDED` means
 * the caller's time is spent; `CANCELLED` means the caller (or the server on its behalf) stopped;
 * `RESOURCE_EXHAUSTED` is the scheduler at `TTC_MAX_CONCURRENT_QUERIES` (or a message over grpc-js's
 * size limit), where an immediate retry only adds load, so the caller decides; `INTERNAL` and
 * `UNKNOWN` are bugs, and a retry would spend the query's compute again to hit the same bug.
 */
export const retryableCodes: ReadonlySet<status> = new Set([
  // The scheduler refused before running anything (no live workers, NATS lost, draining, tasks not
  // enqueued), or the transport never reached it (connection refused or reset, DNS, TLS handshake:
  // grpc-js reports all of these as UNAVAILABLE). A query changes nothing but the compute it
  // spends, so sending it again is safe; streams are retried only before their first event.
  status.UNAVAILABLE,
]);

/** How a call retries `retryableCodes`: exponential backoff with jitter, bounded in attempts and by the call's deadline. */
export interface RetryOptions {
  /** Attempts in all, the first included; 1 turns retries off. @default 4 */
  maxAttempts?: number;
  /** Backoff before the first retry, in ms (before jitter). @default 100 */
  initialBackoffMs?: number;
  /** Largest backoff, in ms (before jitter). @default 2000 */
  maxBackoffMs?: number;
  /** Growth of the backoff from one retry to the next. @default 2 */
  multiplier?: number;
}

/** {@link RetryOptions} with every default applied and checked. */
export type RetryPolicy = Readonly<Required<RetryOptions>>;

const defaultRetry: RetryPolicy = { maxAttempts: 4, initialBackoffMs: 100, maxBackoffMs: 2_000, multiplier: 2 };

/** Applies the defaults to `options` (over `base`) once; throws a RangeError naming a bad field and its range. */
export function retryPolicy(options: RetryOptions = {}, base: RetryPolicy = defaultRetry): RetryPolicy {
  const p = { ...base, ...options };
  return {
    maxAttempts: numberInRange(p.maxAttempts, { integer: true, min: 1 }, "retry.maxAttempts"),
    initialBackoffMs: numberInRange(p.initialBackoffMs, { min: 0 }, "retry.initialBackoffMs"),
    maxBackoffMs: numberInRange(p.maxBackoffMs, { min: 0 }, "retry.maxBackoffMs"),
    multiplier: numberInRange(p.multiplier, { min: 1 }, "retry.multiplier"),
  };
}

/**
 * How long to wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed with
 * `error`; undefined when the error is final: its code is not retryable, the attempts are used up,
 * or the wait would end past the call's `deadline` (epoch ms).
 *
 * The wait is drawn between half and all of `initialBackoffMs × multiplier^(attempt−1)` (capped at
 * `maxBackoffMs`): callers that failed together (a scheduler restarting) do not come back together,
 * and no wait shrinks to nothing.
 */
export function retryDelay(
  error: TtcError,
  attempt: number,
  policy: RetryPolicy,
  deadline: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  if (!retryableCodes.has(error.code) || attempt >= policy.maxAttempts) return undefined;
  const step = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** (attempt - 1));
  const wait = step * (0.5 + 0.5 * random());
  return deadline !== undefined && Date.now() + wait >= deadline ? undefined : wait;
}

/** Waits `ms`; rejects with a `CANCELLED` {@link TtcError} as soon as `signal` aborts. */
export async function backoff(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    throw TtcError.from(error, signal);
  }
}
