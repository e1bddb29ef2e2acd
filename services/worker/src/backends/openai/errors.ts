/**
 * How an OpenAI-compatible engine fails, translated once at the edge into two error types: the
 * engine refused the request (4xx: the caller's or the deployment's fault, never retried) or the
 * engine is unreachable / failed (connection errors, 5xx, 429, stalls: retried before the first token).
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";

/** The gRPC status a scheduler should answer with when this failure decides a query. */
export type EngineErrorCode = "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "RESOURCE_EXHAUSTED" | "UNAVAILABLE";

/**
 * The engine answered 4xx: the request itself is wrong (400/413/422: prompt too long, bad sampling
 * parameters → `INVALID_ARGUMENT`) or the deployment is (401/403/404: bad key, unknown model →
 * `FAILED_PRECONDITION`). Carries the engine's own message.
 */
export class EngineRequestError extends Error {
  readonly code: EngineErrorCode;
  constructor(
    readonly status: number,
    readonly engineMessage: string,
    readonly engineType?: string,
  ) {
    super(`engine rejected the request (HTTP ${status}${engineType ? ` ${engineType}` : ""}): ${engineMessage}`);
    this.name = "EngineRequestError";
    this.code = requestErrorCode(status);
  }
}

/**
 * The engine could not be reached or failed while serving: connection refused or reset, a dropped or
 * stalled stream, 5xx, or 429 after the retries. `status` is the HTTP status when there was one.
 */
export class EngineUnavailableError extends Error {
  readonly code: EngineErrorCode;
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "EngineUnavailableError";
    this.code = status === 429 ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE";
  }
}

function requestErrorCode(status: number): EngineErrorCode {
  if (status === 401 || status === 403 || status === 404) return "FAILED_PRECONDITION";
  if (status === 429) return "RESOURCE_EXHAUSTED";
  return "INVALID_ARGUMENT";
}

/** A failure, classified: the error to throw, and whether a retry (before the first token) may help. */
export interface ClassifiedFailure {
  error: EngineRequestError | EngineUnavailableError;
  retryable: boolean;
  /** A connection-level failure (nothing answered): the engine is probably down. */
  connection: boolean;
  /** The engine's `Retry-After`, when it sent one. */
  retryAfterMs?: number;
}

/** Classifies anything the OpenAI client (or our stream handling) threw. */
export function classifyFailure(err: unknown, baseURL: string): ClassifiedFailure {
  if (err instanceof EngineRequestError) return { error: err, retryable: false, connection: false };
  if (err instanceof EngineUnavailableError) return { error: err, retryable: true, connection: err.status === undefined };
  if (err instanceof APIConnectionTimeoutError) {
    return {
      error: new EngineUnavailableError(`engine unreachable at ${baseURL}: request timed out`, undefined, { cause: err }),
      retryable: true,
      connection: true,
    };
  }
  if (err instanceof APIConnectionError) {
    return {
      error: new EngineUnavailableError(`engine unreachable at ${baseURL}: ${connectionDetail(err)}`, undefined, { cause: err }),
      retryable: true,
      connection: true,
    };
  }
  if (err instanceof APIError) {
    const { message, type } = engineMessage(err);
    if (err.status === undefined) {
      // An error event inside a stream that had started fine (e.g. vLLM's `data: {"error": …}`).
      return {
        error: new EngineUnavailableError(`engine failed mid-stream: ${message}`, undefined, { cause: err }),
        retryable: true,
        connection: false,
      };
    }
    const retryAfterMs = retryAfter(err.headers);
    if (err.status >= 500 || err.status === 429) {
      const what = err.status === 429 ? "engine overloaded" : "engine failed";
      return {
        error: new EngineUnavailableError(`${what} (HTTP ${err.status}${type ? ` ${type}` : ""}): ${message}`, err.status, { cause: err }),
        retryable: true,
        connection: false,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    }
    return { error: new EngineRequestError(err.status, message, type), retryable: false, connection: false };
  }
  const detail = err instanceof Error ? `${err.message}${causeOf(err)}` : String(err);
  if (err instanceof SyntaxError) {
    // A stream event that is not JSON: an engine bug that a retry will not fix.
    return {
      error: new EngineUnavailableError(`engine sent malformed data: ${detail}`, undefined, { cause: err }),
      retryable: false,
      connection: false,
    };
  }
  // A socket dropped mid-body surfaces from undici as `TypeError: terminated` (cause: SocketError).
  const what = err instanceof TypeError && err.message === "terminated" ? "dropped" : "failed";
  return {
    error: new EngineUnavailableError(`engine connection ${what} at ${baseURL}: ${detail}`, undefined, { cause: err }),
    retryable: true,
    connection: true,
  };
}

/** The engine's own message and type from an error body (OpenAI `{"error": {…}}` or vLLM's legacy flat form). */
function engineMessage(err: APIError): { message: string; type?: string } {
  const body = err.error as { message?: unknown; type?: unknown } | undefined;
  const message =
    typeof body?.message === "string" ? body.message : body?.message !== undefined ? JSON.stringify(body.message) : err.message;
  return { message, ...(typeof body?.type === "string" ? { type: body.type } : {}) };
}

function connectionDetail(err: APIConnectionError): string {
  const cause = err.cause as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  const code = cause?.cause?.code ?? cause?.code;
  const msg = cause?.cause?.message ?? cause?.message;
  if (typeof msg === "string" && msg) return typeof code === "string" && !msg.includes(code) ? `${code} ${msg}` : msg;
  return err.message;
}

function causeOf(err: Error): string {
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (!cause) return "";
  const parts = [cause.code, cause.message].filter((x): x is string => typeof x === "string" && x !== "");
  return parts.length > 0 ? ` (${parts.join(": ")})` : "";
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get("retry-after-ms"));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const raw = headers?.get("retry-after");
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The gRPC code for a branch failure, when it came from an engine (the lead maps it onto the query's answer). */
export function engineErrorCode(err: unknown): EngineErrorCode | undefined {
  return err instanceof EngineRequestError || err instanceof EngineUnavailableError ? err.code : undefined;
}
