/**
 * Best-of-N: run every branch, answer with the one the verifier scores highest.
 */
import type { Consensus, Policy } from "../types.js";
import { VoteTally } from "../vote.js";

/** Tracks the best-scored finished answer (first seen wins ties); settled when every branch ended. */
export function createBestOfNPolicy(): Policy {
  const tally = new VoteTally();
  let best: { answer: string; score: number } | null = null;
  const consensus = (): Consensus => {
    const c = tally.consensus();
    if (best === null) return c;
    const votes = [...c.votes.filter((v) => v.answer === best!.answer), ...c.votes.filter((v) => v.answer !== best!.answer)];
    const total = votes.reduce((s, v) => s + v.count, 0);
    return {
      leader: best.answer,
      votes,
      support: total > 0 ? votes[0]!.count / total : 0,
      leaderProbability: c.leader === best.answer ? c.leaderProbability : 0,
    };
  };
  return {
    name: "best-of-n",
    params: Object.freeze({}),
    vote(branch, answer, score, view) {
      tally.add(branch, answer, 1, view?.tokens);
      const s = score ?? 0;
      if (answer !== null && (best === null || s > best.score)) best = { answer, score: s };
    },
    consensus,
    settled({ finished, maxBranches }) {
      if (finished < maxBranches)
        return { settled: false, detail: `best-of-n waits for every branch (${finished} of ${maxBranches} ended)` };
      return {
        settled: true,
        detail: best === null ? "no branch answered" : `best verifier score ${best.score.toFixed(3)} among ${maxBranches} branches`,
      };
    },
  };
}
