import { status } from "@grpc/grpc-js";
import { JetStreamApiError } from "@nats-io/jetstream";
import { ClosedConnectionError, ConnectionError, DrainingConnectionError, NoRespondersError, TimeoutError } from "@nats-io/nats-core";
import { EngineError, type EngineErrorCode } from "@ttc/common";

/** An error that reaches a gRPC caller: a status code and a message a person can act on. */
export class ServiceError extends Error {
  constructor(
    readonly code: status,
    message: string,
    /**
     * `retryDelayMs`: when a retry can succeed (sent to the caller as `google.rpc.RetryInfo`);
     * `field`: the SolveRequest field an INVALID_ARGUMENT is about (the HTTP front door names it in its terms).
     */
    readonly options?: { cause?: unknown; retryDelayMs?: number; field?: string },
  ) {
    super(message, options);
    this.name = "ServiceError";
  }
}

export const invalidArgument = (field: string, message: string) =>
  new ServiceError(status.INVALID_ARGUMENT, `${field}: ${message}`, { field });

/**
 * Maps any error to a ServiceError by its type, never its text: an engine's failure keeps its code,
 * transport failures become UNAVAILABLE, once, here at the edge, and anything else is INTERNAL.
 */
export function toServiceError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof EngineError) return new ServiceError(engineStatus(err.code), message, { cause: err });
  if (isTransportFailure(err)) return new ServiceError(status.UNAVAILABLE, `the cluster is unreachable: ${message}`, { cause: err });
  return new ServiceError(status.INTERNAL, `internal error: ${message}`, { cause: err });
}

/** The gRPC status of an engine failure code (`EngineError.code`, `TraceChunk.failure_code`). */
export function engineStatus(code: EngineErrorCode): status {
  return status[code];
}

/**
 * NATS client errors that mean the cluster cannot be reached right now: the connection is closed,
 * draining or failing, nobody serves the subject (a request's or JetStream's `RequestError` carries
 * `NoRespondersError` as its cause), or the request timed out.
 */
const natsTransportErrors = [ClosedConnectionError, DrainingConnectionError, ConnectionError, NoRespondersError, TimeoutError];

/** Node system error codes of a peer that refused, dropped or never answered a connection. */
const systemTransportCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/** JetStream's API status for "temporarily unavailable" (no leader, no quorum). */
const jetStreamUnavailable = 503;

/** A failure to reach NATS, JetStream or a peer: by class or system error code, along the `cause` chain. */
export function isTransportFailure(err: unknown): boolean {
  // A set, not a depth: a cause chain may loop back on itself.
  const seen = new Set<Error>();
  for (let e: unknown = err; e instanceof Error && !seen.has(e); e = e.cause) {
    const failure = e;
    seen.add(failure);
    if (natsTransportErrors.some((type) => failure instanceof type)) return true;
    if (failure instanceof JetStreamApiError && failure.status === jetStreamUnavailable) return true;
    const code = (failure as NodeJS.ErrnoException).code;
    if (typeof code === "string" && systemTransportCodes.has(code)) return true;
  }
  return false;
}

/** Metric label of an error's code (a fixed set). */
export function outcomeLabel(code: status): string {
  switch (code) {
    case status.INVALID_ARGUMENT:
      return "invalid_argument";
    case status.UNAVAILABLE:
      return "unavailable";
    case status.DEADLINE_EXCEEDED:
      return "deadline_exceeded";
    case status.RESOURCE_EXHAUSTED:
      return "resource_exhausted";
    case status.CANCELLED:
      return "cancelled";
    case status.PERMISSION_DENIED:
      return "permission_denied";
    default:
      return "internal";
  }
}
