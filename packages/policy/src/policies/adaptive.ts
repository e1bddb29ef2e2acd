/**
 * Adaptive-Consistency (Aggarwal et al. 2023): stop sampling once the posterior says the leading
 * answer is the majority answer with high enough probability. Two criteria from the paper: Beta over
 * the two most frequent answers (default) and Dirichlet over all of them.
 */
import { probabilityLeaderIsMajority } from "../beta.js";
import { probabilityLeaderIsLargest } from "../dirichlet.js";
import type { Policy, PolicyContext } from "../types.js";
import { VoteTally } from "../vote.js";
import { plural, readParams } from "./params.js";

/** Parameters of the adaptive policy, named as in the paper. */
export interface AdaptiveParams {
  /** Stop once P(leader is majority) reaches this; in (0.5, 1), default 0.95. */
  threshold?: number;
  /** 1: Dirichlet criterion over every answer; 0 (default): Beta over the top two. */
  dirichlet?: number;
  /** 1: stop at once when an exact checker verified a finished answer (ttc extension); default 0. */
  stopOnVerified?: number;
}

/** The paper's default stopping threshold. */
export const DEFAULT_ADAPTIVE_THRESHOLD = 0.95;

export const adaptiveParamSpecs = {
  threshold: { default: DEFAULT_ADAPTIVE_THRESHOLD, min: 0.5, max: 1, exclusive: true, doc: "stop when P(leader is majority) reaches it" },
  dirichlet: { default: 0, min: 0, max: 1, integer: true, doc: "1 = Dirichlet criterion over all answers" },
  stopOnVerified: { default: 0, min: 0, max: 1, integer: true, doc: "1 = stop at the first exactly verified answer" },
};

/**
 * Every answered branch votes with weight 1 (branches with a null answer finish but do not vote);
 * settled when there is a leader and its posterior probability reaches `threshold`.
 * In waves it asks only for the branches that could settle the query if they all agreed with the
 * leader, so its parallel runs spend the tokens of the sequential rule.
 */
export function createAdaptivePolicy(params: AdaptiveParams = {}): Policy {
  const p = readParams("adaptive", adaptiveParamSpecs, params as Record<string, number>);
  const tally = new VoteTally();
  let verifiedAnswer: string | null = null;
  const probability = (counts: number[]): number => {
    if (counts.length === 0) return 0;
    return p.dirichlet === 1 ? probabilityLeaderIsLargest(counts) : probabilityLeaderIsMajority(counts[0]!, counts[1] ?? 0);
  };
  return {
    name: "adaptive",
    params: Object.freeze({ ...p }),
    vote(branch, answer, _score, view) {
      tally.add(branch, answer, 1, view?.tokens);
      if (p.stopOnVerified === 1 && view?.verified && answer !== null && verifiedAnswer === null) verifiedAnswer = answer;
    },
    consensus() {
      const c = tally.consensus();
      if (verifiedAnswer === null) return p.dirichlet === 1 ? { ...c, leaderProbability: probability(c.votes.map((v) => v.count)) } : c;
      // A verified answer is the answer, whatever the vote.
      const votes = [...c.votes.filter((v) => v.answer === verifiedAnswer), ...c.votes.filter((v) => v.answer !== verifiedAnswer)];
      const total = votes.reduce((s, v) => s + v.weight, 0);
      return { leader: verifiedAnswer, votes, support: total > 0 ? votes[0]!.weight / total : 0, leaderProbability: 1 };
    },
    settled() {
      if (verifiedAnswer !== null) return { settled: true, detail: `an exact checker verified "${verifiedAnswer}"` };
      const { leader, votes } = tally.consensus();
      const criterion = p.dirichlet === 1 ? "Dirichlet" : "Beta";
      if (leader === null) return { settled: false, detail: `no answers yet (stopping at P(leader is majority) ≥ ${p.threshold})` };
      const pr = probability(votes.map((v) => v.count));
      const settled = pr >= p.threshold;
      return {
        settled,
        detail: `P(leader is majority) = ${pr.toFixed(3)} ${settled ? "≥" : "<"} ${p.threshold} after ${plural(tally.answered, "answer")}${p.dirichlet === 1 ? ` (${criterion})` : ""}`,
      };
    },
    demand(context: PolicyContext) {
      // The fewest further votes that could settle the query: all of them for the current leader.
      const counts = tally.votes().map((v) => v.count);
      const remaining = context.maxBranches - context.ended;
      let votes = remaining;
      for (let m = 0; m <= remaining; m++) {
        const next = counts.length > 0 ? [counts[0]! + m, ...counts.slice(1)] : m > 0 ? [m] : [];
        if (probability(next) >= p.threshold) {
          votes = Math.max(m, 1);
          break;
        }
      }
      // Branches that end without a vote (pruned, failed, no answer) do not move the posterior, so
      // ask for as many branches as are expected to yield those votes: votes / P(a branch votes),
      // with a Laplace estimate of that probability from the branches ended so far. When every
      // branch votes this is the optimistic count itself, and waves spend the sequential rule's tokens.
      const voting = (tally.answered + 1) / (context.ended + 1);
      return Math.min(remaining, Math.ceil(votes / Math.min(1, voting)));
    },
  };
}
