/**
 * @ttc/policy: the pure reasoning core of ttc. Answer extraction, voting, stopping policies and the
 * per-query controller; no I/O, no clocks, no randomness.
 */
export * from "./types.js";
export { extractAnswer, normaliseAnswer, answerKey } from "./answer.js";
export { regularizedIncompleteBeta, probabilityLeaderIsMajority } from "./beta.js";
export { VoteTally } from "./vote.js";
export { createMajorityPolicy } from "./policies/majority.js";
export { createAdaptivePolicy, DEFAULT_ADAPTIVE_THRESHOLD } from "./policies/adaptive.js";
export type { AdaptiveParams } from "./policies/adaptive.js";
export { PolicyConfigError } from "./policies/config-error.js";
export { policyNames, defaultPolicyName, isPolicyName, createPolicy } from "./policies/registry.js";
export type { PolicyName } from "./policies/registry.js";
export { createQueryController } from "./controller.js";
export type { QueryController } from "./controller.js";
export * from "./verify/mod.js";
export { createWeightedPolicy } from "./policies/weighted.js";
export { createBestOfNPolicy } from "./policies/best-of-n.js";
export { createEscPolicy } from "./policies/esc.js";
export { createDeepConfPolicy, percentile } from "./policies/deepconf.js";
export { createPrmBeamPolicy } from "./policies/prm-beam.js";
export { createSpecRejectPolicy } from "./policies/spec-reject.js";
export { createFirstVerifiedPolicy } from "./policies/first-verified.js";
export { probabilityLeaderIsLargest } from "./dirichlet.js";
export { AnswerGroups } from "./answer-groups.js";
export { answersEquivalent, checkGame24, parseGame24Numbers } from "./answer.js";
export type { EquivalenceOptions, Game24Check } from "./answer.js";
export type { VoteTallyOptions } from "./vote.js";
