/**
 * PRM beam pruning, as in search-and-learn's beam search, for independently sampled branches: when a
 * branch completes step s, it survives only if its step-s score is among the top `beam` step-s scores
 * of all branches that reached step s; the waves launch new branches in place of the pruned ones
 * (expanding the survivors' budget). The answer is the score-weighted vote of the finished branches.
 */
import type { BranchView, Policy, PolicyContext, Prune } from "../types.js";
import { VoteTally } from "../vote.js";
import { readParams } from "./params.js";

export const prmBeamParamSpecs = {
  beam: { default: 4, min: 1, max: 10_000, integer: true, doc: "k: partial traces kept per step" },
};

export function createPrmBeamPolicy(params: Record<string, number> = {}): Policy {
  const { beam } = readParams("prm-beam", prmBeamParamSpecs, params);
  const tally = new VoteTally();
  return {
    name: "prm-beam",
    params: Object.freeze({ beam }),
    vote(branch, answer, score, view) {
      tally.add(branch, answer, score === undefined ? 1 : Math.max(0, score), view?.tokens);
    },
    consensus: () => tally.consensus(),
    settled({ finished, maxBranches }) {
      if (finished < maxBranches) return { settled: false, detail: `beam of ${beam}: ${finished} of ${maxBranches} branches ended` };
      return { settled: true, detail: `all ${maxBranches} branches ended; score-weighted vote of the survivors` };
    },
    review(changed: BranchView, context: PolicyContext): Prune[] {
      const step = changed.stepScores.length;
      if (changed.state !== "running" || step === 0) return [];
      const mine = changed.stepScores[step - 1]!;
      // Rank among every branch that reached this step (those pruned later still competed here).
      let better = 0;
      for (const b of context.branches) {
        if (b.index === changed.index || b.stepScores.length < step) continue;
        const theirs = b.stepScores[step - 1]!;
        if (theirs > mine || (theirs === mine && b.index < changed.index)) better++;
      }
      return better >= beam ? [{ branch: changed.index, reason: `step ${step} score ${mine.toFixed(3)} is outside the top ${beam}` }] : [];
    },
  };
}
