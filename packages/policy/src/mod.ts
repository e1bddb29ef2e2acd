/**
 * @ttc/policy: the pure reasoning core of ttc. Answer extraction, reasoning steps, voting, stopping
 * policies, the per-query controller and the pure verifiers; no I/O, no clocks, no randomness.
 */
export {
  defaultExecutionMode,
  executionModes,
  type AnswerFormatName,
  type BranchConfidence,
  type BranchView,
  type Consensus,
  type Decision,
  type ExecutionMode,
  type Policy,
  type PolicyContext,
  type Prune,
  type QueryEvent,
  type QueryLimits,
  type StopReasonName,
  type InterruptReason,
  type VoteCount,
} from "./types.js";
export { answerKey, answersEquivalent, checkGame24, parseGame24Numbers } from "./answer.js";
export { AnswerGroups } from "./answer-groups.js";
export { completedSteps, splitSteps, StepBoundaries, type StepBoundaryOptions } from "./reasoning-steps.js";
export { PolicyConfigError } from "./policies/config-error.js";
export { createPolicy, defaultPolicyName, policyNames, type PolicyName } from "./policies/registry.js";
export { createQueryController, type QueryController } from "./controller.js";
export {
  ConfidenceTracker,
  createVerifier,
  DEFAULT_GROUP_SIZE,
  engineVerifierNames,
  lowestGroupConfidence,
  stepAggregations,
  stepScoringVerifier,
  tailConfidence,
  tokenConfidence,
  verifierNames,
  wholeTrace,
  type Continuation,
  type StepAggregation,
  type TraceVerifier,
  type VerifyInput,
  type VerifyOutput,
} from "./verify/mod.js";
