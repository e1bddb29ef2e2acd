/**
 * How an OpenAI-compatible engine fails, translated once at the edge into the seam's {@link EngineError}:
 * the engine refused the request (4xx: the caller's or the deployment's fault, never retried) or it is
 * unreachable / failed (connection errors, 5xx, 429, stalls: retried before the first token).
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { EngineError } from "../../backend.js";

/** A failure, classified: the error to throw (its `retryable` says whether a retry before the first token may help). */
export interface ClassifiedFailure {
  error: EngineError;
  /** A connection-level failure (nothing answered): the engine is probably down. */
  connection: boolean;
  /** The engine's `Retry-After`, when it sent one. */
  retryAfterMs?: number;
}

/** Classifies anything the OpenAI client (or our stream handling) threw. */
export function classifyFailure(err: unknown, baseURL: string): ClassifiedFailure {
  // Ours, from the stream (a stall, a stream cut short): no HTTP status means nothing answered.
  if (err instanceof EngineError) return { error: err, connection: err.retryable && err.httpStatus === undefined };
  if (err instanceof APIConnectionTimeoutError) {
    return { error: unavailable(`engine unreachable at ${baseURL}: request timed out`, err), connection: true };
  }
  if (err instanceof APIConnectionError) {
    return { error: unavailable(`engine unreachable at ${baseURL}: ${connectionDetail(err)}`, err), connection: true };
  }
  if (err instanceof APIError) {
    const { message, type } = engineMessage(err);
    if (err.status === undefined) {
      // An error event inside a stream that had started fine (e.g. vLLM's `data: {"error": …}`).
      return { error: unavailable(`engine failed mid-stream: ${message}`, err), connection: false };
    }
    const retryAfterMs = retryAfter(err.headers);
    const what =
      err.status === 429 ? "engine overloaded" : err.status >= 400 && err.status < 500 ? "engine rejected the request" : "engine failed";
    return {
      error: EngineError.fromHttpStatus(err.status, `${what} (HTTP ${err.status}${type ? ` ${type}` : ""}): ${message}`, { cause: err }),
      connection: false,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  const detail = err instanceof Error ? `${err.message}${causeOf(err)}` : String(err);
  if (err instanceof SyntaxError) {
    // A stream event that is not JSON: an engine bug that a retry will not fix.
    return {
      error: new EngineError(`engine sent malformed data: ${detail}`, { code: "UNAVAILABLE", retryable: false, cause: err }),
      connection: false,
    };
  }
  // A socket dropped mid-body surfaces from undici as `TypeError: terminated` caused by its SocketError (or a reset).
  const causeCode = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  const what = causeCode === "UND_ERR_SOCKET" || causeCode === "ECONNRESET" ? "dropped" : "failed";
  return { error: unavailable(`engine connection ${what} at ${baseURL}: ${detail}`, err), connection: true };
}

function unavailable(message: string, cause: unknown): EngineError {
  return new EngineError(message, { code: "UNAVAILABLE", cause });
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
  if (typeof msg !== "string" || !msg) return err.message;
  return typeof code === "string" ? `${code} (${msg})` : msg;
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
