/**
 * Weighted voting (as in weighted self-consistency / PRM-weighted majority): each finished branch
 * votes for its answer with its verifier score as the weight. Runs every branch.
 */
import type { Policy } from "../types.js";
import { VoteTally } from "../vote.js";
import { plural, readParams } from "./params.js";

export const weightedParamSpecs = {
  unscoredWeight: { default: 1, min: 0, max: 1, doc: "weight of a branch no verifier scored" },
};

/** Votes weighted by score; branches without a score weigh `unscoredWeight`; settled when all ended. */
export function createWeightedPolicy(params: Record<string, number> = {}): Policy {
  const p = readParams("weighted", weightedParamSpecs, params);
  const tally = new VoteTally();
  return {
    name: "weighted",
    params: Object.freeze({ ...p }),
    vote(branch, answer, score, view) {
      tally.add(branch, answer, score === undefined ? p.unscoredWeight : Math.max(0, score), view?.tokens);
    },
    consensus: () => tally.consensus(),
    settled({ finished, maxBranches }) {
      const c = tally.consensus();
      if (finished < maxBranches)
        return { settled: false, detail: `weighted vote waits for every branch (${finished} of ${maxBranches} ended)` };
      return {
        settled: true,
        detail:
          c.leader === null
            ? "no branch answered"
            : `leader holds ${(c.support * 100).toFixed(1)}% of the score-weighted votes of ${plural(tally.answered, "answer")}`,
      };
    },
  };
}
