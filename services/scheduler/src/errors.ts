import { status } from "@grpc/grpc-js";

/** An error that reaches a gRPC caller: a status code and a message a person can act on. */
export class ServiceError extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ServiceError";
  }
}

export const invalidArgument = (field: string, message: string) => new ServiceError(status.INVALID_ARGUMENT, `${field}: ${message}`);

/** Maps any error to a ServiceError: transport failures become UNAVAILABLE, once, here at the edge. */
export function toServiceError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/ECONNREFUSED|ECONNRESET|CONNECTION_CLOSED|closed connection|disconnect|no responders|503/i.test(message)) {
    return new ServiceError(status.UNAVAILABLE, `the cluster is unreachable: ${message}`, { cause: err });
  }
  return new ServiceError(status.INTERNAL, `internal error: ${message}`, { cause: err });
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
    default:
      return "internal";
  }
}
