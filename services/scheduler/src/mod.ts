/** The ttc scheduler as a library (used by tests and by embedding). */
export * from "./config.js";
export * from "./errors.js";
export * from "./metrics.js";
export * from "./resolve-request.js";
export * from "./scheduler.js";
export * from "./server.js";
export * from "./verifier-client.js";
export * from "./worker-registry.js";
