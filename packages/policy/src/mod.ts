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
