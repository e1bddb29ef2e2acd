/**
 * The one error type of an engine boundary: a worker's generation backend (sim, replay, openai, llama)
 * and the verifier's engine clients (prm, judge) throw it, so callers branch on its `code`, never on
 * its message. The code travels on the wire as `TraceChunk.failure_code`, and a scheduler answers a
 * query whose every branch failed the same way with it.
 */

import type { EngineFailureCode } from "@ttc/proto";

/** The gRPC status code name an engine failure stands for (the values of `TraceChunk.failure_code`, defined with the contract). */
export type EngineErrorCode = EngineFailureCode;

/** What an {@link EngineError} carries besides its message. */
export interface EngineErrorOptions {
  code: EngineErrorCode;
  /**
   * Whether trying again may help (a worker retries only before the first token).
   * @default true for `UNAVAILABLE` and `RESOURCE_EXHAUSTED` (transient), false for the others
   */
  retryable?: boolean;
  /** The engine's HTTP status; absent for in-process engines and failures without an answer. */
  httpStatus?: number;
  cause?: unknown;
}

/**
 * An engine refused or failed a request: the request is wrong (`INVALID_ARGUMENT`: a prompt longer
 * than the context, bad sampling parameters), the deployment is (`FAILED_PRECONDITION`: a bad key, an
 * unknown model, a missing model file), the engine is overloaded (`RESOURCE_EXHAUSTED`), or it is
 * unreachable, failed while serving or answered something unreadable (`UNAVAILABLE`).
 */
export class EngineError extends Error {
  readonly code: EngineErrorCode;
  readonly retryable: boolean;
  readonly httpStatus: number | undefined;

  constructor(message: string, options: EngineErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EngineError";
    this.code = options.code;
    this.retryable = options.retryable ?? (options.code === "UNAVAILABLE" || options.code === "RESOURCE_EXHAUSTED");
    this.httpStatus = options.httpStatus;
  }

  /**
   * The error for an engine's non-2xx HTTP answer: 400/413/422 (and any other 4xx) → `INVALID_ARGUMENT`,
   * 401/403/404 → `FAILED_PRECONDITION`, 429 → `RESOURCE_EXHAUSTED`, 5xx → `UNAVAILABLE`; only the
   * last two are retryable.
   */
  static fromHttpStatus(httpStatus: number, message: string, options: { cause?: unknown } = {}): EngineError {
    return new EngineError(message, { code: httpStatusCode(httpStatus), httpStatus, ...options });
  }
}

function httpStatusCode(httpStatus: number): EngineErrorCode {
  if (httpStatus === 429) return "RESOURCE_EXHAUSTED";
  if (httpStatus === 401 || httpStatus === 403 || httpStatus === 404) return "FAILED_PRECONDITION";
  if (httpStatus >= 400 && httpStatus < 500) return "INVALID_ARGUMENT";
  return "UNAVAILABLE";
}
