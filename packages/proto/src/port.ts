/**
 * The port `ttc.v1.Scheduler` listens on unless configured otherwise, defined once for both sides of
 * the API: the scheduler's `TTC_GRPC_PORT` default and the port callers look for a local scheduler on.
 */
export const defaultSchedulerPort = 50051;
