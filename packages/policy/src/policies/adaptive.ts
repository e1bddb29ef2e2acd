/**
 * Adaptive-Consistency (Aggarwal et al. 2023): stop sampling once the Beta posterior says the
 * leading answer is the majority answer with high enough probability.
 */
import type { Policy } from "../types.js";
import { VoteTally } from "../vote.js";
import { PolicyConfigError } from "./config-error.js";

/** Parameters of the adaptive policy, named as in the paper. */
export interface AdaptiveParams {
  /** Stop once P(leader is majority) reaches this; in (0.5, 1), default 0.95. */
  threshold?: number;
}

/** The paper's default stopping threshold for the Beta criterion. */
export const DEFAULT_ADAPTIVE_THRESHOLD = 0.95;

/**
 * Every answered branch votes with weight 1 (branches with a null answer finish but do not vote);
 * settled when there is a leader and consensus().leaderProbability >= threshold.
 * @throws PolicyConfigError when the threshold is outside (0.5, 1).
 */
export function createAdaptivePolicy(params: AdaptiveParams = {}): Policy {
  const threshold = params.threshold ?? DEFAULT_ADAPTIVE_THRESHOLD;
  // Below 0.5 the criterion would stop on a minority answer; at 1 it could never stop.
  if (typeof threshold !== "number" || !(threshold > 0.5 && threshold < 1)) {
    throw new PolicyConfigError(
      "policy.params.threshold",
      `adaptive threshold must be in (0.5, 1), got ${threshold}`,
    );
  }
  const tally = new VoteTally();
  return {
    name: "adaptive",
    params: Object.freeze({ threshold }),
    vote(branch, answer) {
      tally.add(branch, answer, 1);
    },
    consensus: () => tally.consensus(),
    settled() {
      const { leader, leaderProbability: p } = tally.consensus();
      if (leader === null) {
        return { settled: false, detail: `no answers yet (stopping at P(leader is majority) ≥ ${threshold})` };
      }
      const settled = p >= threshold;
      const n = tally.answered;
      const answers = `${n} answer${n === 1 ? "" : "s"}`;
      return { settled, detail: `P(leader is majority) = ${p.toFixed(3)} ${settled ? "≥" : "<"} ${threshold} after ${answers}` };
    },
  };
}
