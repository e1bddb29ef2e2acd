/**
 * First verified: stop at the first finished branch an exact verifier accepts (e.g. a Game-of-24
 * expression that uses the four numbers and equals 24). Without one, the majority of what finished.
 */
import type { Consensus, Policy } from "../types.js";
import { VoteTally } from "../vote.js";

export function createFirstVerifiedPolicy(): Policy {
  const tally = new VoteTally();
  let verified: { answer: string; branch: number } | null = null;
  const consensus = (): Consensus => {
    const c = tally.consensus();
    if (!verified) return c;
    const a = verified.answer;
    const votes = [...c.votes.filter((v) => v.answer === a), ...c.votes.filter((v) => v.answer !== a)];
    const total = votes.reduce((s, v) => s + v.weight, 0);
    return { leader: a, votes, support: total > 0 ? votes[0]!.weight / total : 0, leaderProbability: 1 };
  };
  return {
    name: "first-verified",
    params: Object.freeze({}),
    vote(branch, answer, _score, view) {
      tally.add(branch, answer, 1, view?.tokens);
      if (!verified && answer !== null && view?.verified) verified = { answer, branch };
    },
    consensus,
    settled({ finished, maxBranches }) {
      if (verified) return { settled: true, detail: `branch ${verified.branch} was verified exactly` };
      if (finished >= maxBranches) return { settled: true, detail: `no branch was verified among ${maxBranches}; majority of the answers` };
      return { settled: false, detail: `no verified branch yet (${finished} of ${maxBranches} ended)` };
    },
  };
}
