/** Trace verification: exact checks, step scoring, confidence, and the verifier contract built on them. Pure. */
export { checkArithmetic, type ArithCheck, type ArithOptions } from "./arith.js";
export { ResumeError, wholeTrace } from "./resume.js";
export {
  createVerifier,
  engineVerifierNames,
  verifierNames,
  type Continuation,
  type TraceVerifier,
  type VerifierName,
  type VerifyInput,
  type VerifyOutput,
} from "./verifier.js";
export {
  aggregateStepScores,
  clampScore,
  stepAggregations,
  stepScoringVerifier,
  type StepAggregation,
  type StepScorer,
  type StepScoringOptions,
} from "./steps.js";
export { canMake24, checkGame24Steps, game24AnswerExpression, type Game24StepCheck, type Game24StepOptions } from "../game24/mod.js";
export { createRuleVerifier, type RuleOptions } from "./rule.js";
export { createRecordedVerifier, logistic, type RecordedOptions, type RecordedScale, type RecordedScores } from "./recorded.js";
export {
  bottomGroupConfidence,
  ConfidenceTracker,
  confidenceScore,
  createConfidenceVerifier,
  DEFAULT_GROUP_SIZE,
  DEFAULT_TAIL_SIZE,
  groupConfidences,
  LOGPROB_FLOOR,
  lowestGroupConfidence,
  tailConfidence,
  tokenConfidence,
  type ConfidenceSnapshot,
  type ConfidenceTrackerOptions,
  type ConfidenceVerifierOptions,
} from "./confidence.js";
