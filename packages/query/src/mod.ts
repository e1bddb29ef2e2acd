/**
 * @ttc/query: the life of one query as a pure state machine. The scheduler's `QueryRun` drives it
 * over NATS and the evaluator's `simulateQuery` in virtual time; neither adds decisions of its own.
 */
export { QueryEngine, type BranchView } from "./engine.js";
export type { QueryEffect, QueryFailure, QueryInput, QuerySpec, QueryTimer } from "./types.js";
