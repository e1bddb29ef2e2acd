/** Shared plumbing of ttc services: wire names, metric names, config, logging, NATS and metrics servers. */
export * from "./wire.js";
export * from "./metric-names.js";
export * from "./config.js";
export * from "./log.js";
export * from "./codec.js";
export * from "./nats.js";
export * from "./metrics-server.js";
export * from "./nats-server.js";
export * from "./verify-input.js";
