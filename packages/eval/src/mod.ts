/**
 * @ttc/eval: accuracy versus compute on recorded traces, in virtual time or through a running cluster;
 * what `ttc eval`, `ttc goals` and the cluster evaluation test use.
 */
export { evaluate, querySeed, runConfiguration, virtualRunner } from "./evaluate.js";
export type { EvalOptions, EvalReport, QueryRunner } from "./evaluate.js";
export { prepareProblem } from "./prepare.js";
export type { PreparedProblem } from "./prepare.js";
export type { QueryOutcome } from "./simulate.js";
export { parseModes, parsePolicySpec } from "./spec.js";
export type { PolicySpec } from "./spec.js";
export { formatTable, renderHtml } from "./report.js";
export { clusterRunner } from "./cluster-runner.js";
export type { ClusterRunner } from "./cluster-runner.js";
export { checkGoals, formatGoals } from "./goals.js";
export { replayRecord } from "./recorded-query.js";
export type { RecordedReplay, ReplayStrategy } from "./recorded-query.js";
export type { GoalOptions, GoalReport } from "./goals.js";
