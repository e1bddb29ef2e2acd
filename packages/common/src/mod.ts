/** Shared plumbing of ttc services: wire names, metric names, config, logging, NATS, the service process and the engine error. */
export { defaultNamespace, taskKeyBytes, wireNames } from "./wire.js";
export type { ServiceRole, WireNames } from "./wire.js";
export { rolePermissions } from "./nats-permissions.js";
export type { NatsPermissions } from "./nats-permissions.js";
export { metricNames } from "./metric-names.js";
export {
  commonSecrets,
  ConfigError,
  commonEnv,
  drainEnv,
  intVar,
  numVar,
  parseConfig,
  serviceSettings,
  taskQueueEnv,
  taskQueueOptions,
} from "./config.js";
export type { Env, ServiceSettings } from "./config.js";
export { createLogger } from "./log.js";
export type { Logger } from "./log.js";
export { tryDecode } from "./codec.js";
export { awaitTaskQueue, connectNats, ensureStream, ensureTaskQueue } from "./nats.js";
export type { NatsAuth, NatsConnectOptions, TaskQueueOptions } from "./nats.js";
export { startLocalNatsCluster, startLocalNatsServer } from "./nats-server.js";
export type { LocalNatsCluster, LocalNatsClusterOptions, LocalNatsServer, LocalNatsServerOptions, LocalNatsUser } from "./nats-server.js";
export { unscored, verifyInput, verifyResponse } from "./verify-input.js";
export { EngineError } from "./engine-error.js";
export type { EngineErrorCode, EngineErrorOptions } from "./engine-error.js";
export { Readiness } from "./readiness.js";
export { minSilenceMs, SchedulerLiveness } from "./scheduler-liveness.js";
export { runService } from "./service.js";
export { readSettingFile, readSettingJson, redactUrl, withSecretFiles } from "./secrets.js";
export type { RunningService, ServiceContext, ServiceDefinition, ServiceHost } from "./service.js";
export {
  contextFromCarrier,
  contextFromNatsHeaders,
  natsTraceHeaders,
  startBatchSpan,
  startTracing,
  traceCarrier,
  tracer,
  withSpan,
  ROOT_CONTEXT,
  SpanStatusCode,
  type Context,
  type Span,
  type TracingSettings,
} from "./tracing.js";
