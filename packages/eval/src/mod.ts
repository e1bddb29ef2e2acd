/** @ttc/eval: accuracy versus compute on recorded traces, in virtual time. */
export * from "./evaluate.js";
export * from "./prepare.js";
export * from "./simulate.js";
export * from "./spec.js";
export * from "./stats.js";
export * from "./report.js";
export * from "./cluster-runner.js";
export * from "./goals.js";
