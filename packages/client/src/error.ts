import { Metadata, status } from "@grpc/grpc-js";
import { decodeRetryDelayMs, statusDetailsKey } from "@ttc/proto";

/**
 * The one error every call of {@link TtcClient} rejects with: a gRPC status code, the server's
 * details (`INVALID_ARGUMENT` details start with the field, e.g. `prompt: must not be empty`), the
 * trailing metadata, and the original error as `cause`.
 *
 * Branch on `code`, never on the message text.
 */
export class TtcError extends Error {
  override readonly name = "TtcError";
  /** The gRPC status code (`status.UNAVAILABLE`, …, from `@grpc/grpc-js`). */
  readonly code: status;
  /** What the server (or the transport) said, without the code prefix. */
  readonly details: string;
  /** Trailing metadata of the failed call; empty when the call never reached a server. */
  readonly metadata: Metadata;
  /** When the server said a retry can succeed (its `google.rpc.RetryInfo`), in ms; undefined when it did not say. */
  readonly retryDelayMs: number | undefined;

  constructor(code: status, details: string, options: { metadata?: Metadata; cause?: unknown } = {}) {
    super(`${status[code] ?? code}: ${details}`, { cause: options.cause });
    this.code = code;
    this.details = details;
    this.metadata = options.metadata ?? new Metadata();
    const statusDetails = this.metadata.get(statusDetailsKey)[0];
    this.retryDelayMs = typeof statusDetails === "string" || statusDetails === undefined ? undefined : decodeRetryDelayMs(statusDetails);
  }

  /**
   * Translates whatever a call failed with, once, at the edge: a grpc-js `ServiceError` keeps its
   * code, details and metadata (grpc-js already reports connection failures such as ECONNREFUSED as
   * `UNAVAILABLE`); a call cancelled through the caller's `AbortSignal` is `CANCELLED` with the
   * signal's reason as `cause`; anything else is `UNKNOWN`.
   */
  static from(error: unknown, signal?: AbortSignal): TtcError {
    if (error instanceof TtcError) return error;
    if (signal?.aborted) {
      const why = signal.reason instanceof Error ? `: ${signal.reason.message}` : "";
      return new TtcError(status.CANCELLED, `cancelled by the caller${why}`, { cause: signal.reason });
    }
    if (isServiceError(error)) return new TtcError(error.code, error.details, { metadata: error.metadata, cause: error });
    return new TtcError(status.UNKNOWN, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

function isServiceError(error: unknown): error is Error & { code: status; details: string; metadata: Metadata } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "number" && "details" in error;
}
