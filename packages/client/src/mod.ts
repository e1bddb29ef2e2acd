/**
 * @ttc/client: the typed TypeScript client of `ttc.v1.Scheduler`, the way internal TypeScript code
 * calls ttc. Promises and async iterables, per-call deadlines, cancellation through `AbortSignal`,
 * retries of `UNAVAILABLE` with backoff, one error type with the gRPC code, TLS / mTLS and a bearer token.
 */
export { localSchedulerAddress, TtcClient } from "./client.js";
export type { SolveRequestInit } from "./client.js";
export { TtcError } from "./error.js";
export { retryableCodes } from "./retry.js";
export { describeRange, numberInRange } from "./number-range.js";
export type { NumberRange } from "./number-range.js";
export type { RetryOptions } from "./retry.js";
export type { CallOptions, ClientOptions, Pem, TlsOptions } from "./options.js";
export { status } from "@grpc/grpc-js";
