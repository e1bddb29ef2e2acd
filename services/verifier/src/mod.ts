/** The ttc verifier service as a library. */
export * from "./verifier-service.js";
export * from "./async-verifier.js";
export * from "./config.js";
export * from "./engines/prm.js";
export * from "./engines/judge.js";
