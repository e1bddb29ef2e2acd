/** The ttc verifier service as a library. */
export * from "./verifier-service.js";
