/**
 * Errors of the OpenAI-compatible front door, in OpenAI's shape: an HTTP status and
 * `{"error": {"message", "type", "param", "code"}}`. Scheduler errors (gRPC codes) are translated here, once.
 */
import { status } from "@grpc/grpc-js";
import type { ServiceError } from "../errors.js";

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class OpenAiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly type: string,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    /** Seconds after which a retry can succeed (`retry-after`). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "OpenAiError";
  }

  static invalid(param: string | null, message: string): OpenAiError {
    return new OpenAiError(400, "invalid_request_error", message, param, "invalid_value");
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** SolveRequest fields as the OpenAI request names them (the rest live in the `ttc` object). */
const paramOf: Record<string, string> = {
  prompt: "messages",
  model: "model",
  max_branches: "n",
  max_tokens_per_branch: "max_tokens",
  seed: "seed",
  token_budget: "ttc.token_budget",
  parallelism: "ttc.parallelism",
  verifier: "ttc.verifier",
  answer_format: "ttc.answer_format",
  mode: "ttc.mode",
  request_id: "ttc.request_id",
};

/** `policy.name` is the model's or `ttc.policy`; `policy.params.x` is `ttc.params.x`. */
function policyParam(field: string): string {
  if (field === "policy.name") return "ttc.policy";
  return field.startsWith("policy.params") ? `ttc.${field.slice("policy.".length)}` : field;
}

/** The OpenAI form of a scheduler error. */
export function fromServiceError(err: ServiceError): OpenAiError {
  const retryAfter = err.options?.retryDelayMs === undefined ? undefined : Math.max(1, Math.ceil(err.options.retryDelayMs / 1000));
  const field = err.options?.field;
  switch (err.code) {
    case status.INVALID_ARGUMENT:
    case status.FAILED_PRECONDITION:
    case status.OUT_OF_RANGE: {
      const param = field === undefined ? null : (paramOf[field] ?? policyParam(field));
      return new OpenAiError(400, "invalid_request_error", err.message, param, "invalid_value");
    }
    case status.UNAUTHENTICATED:
      return new OpenAiError(401, "authentication_error", err.message, null, "invalid_api_key");
    case status.PERMISSION_DENIED:
      return new OpenAiError(403, "permission_error", err.message, null, "permission_denied");
    case status.NOT_FOUND:
      return new OpenAiError(404, "invalid_request_error", err.message, null, "not_found");
    case status.RESOURCE_EXHAUSTED:
      return new OpenAiError(429, "rate_limit_error", err.message, null, "rate_limit_exceeded", retryAfter ?? 1);
    case status.UNAVAILABLE:
      return new OpenAiError(503, "server_error", err.message, null, "unavailable", retryAfter);
    case status.DEADLINE_EXCEEDED:
      return new OpenAiError(504, "timeout_error", err.message, null, "deadline_exceeded");
    case status.CANCELLED:
      // Only seen when the caller left: nobody reads it, but a status must be written.
      return new OpenAiError(499, "invalid_request_error", err.message, null, "cancelled");
    default:
      return new OpenAiError(500, "server_error", err.message, null, "internal_error");
  }
}
