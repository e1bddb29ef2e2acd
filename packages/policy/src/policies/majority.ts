/**
 * Self-consistency (Wang et al. 2022): sample every branch, then take the most frequent answer.
 */
import type { Policy } from "../types.js";
import { VoteTally } from "../vote.js";

/** Every branch votes with weight 1; the answer is settled only once all `maxBranches` have finished. */
export function createMajorityPolicy(): Policy {
  const tally = new VoteTally();
  return {
    name: "majority",
    params: Object.freeze({}),
    vote(branch, answer, _score, view) {
      tally.add(branch, answer, 1, view?.tokens);
    },
    consensus: () => tally.consensus(),
    settled({ finished, maxBranches }) {
      if (finished < maxBranches) {
        const detail = `self-consistency waits for every branch (${finished} of ${maxBranches} finished)`;
        return { settled: false, detail };
      }
      const { leader, votes } = tally.consensus();
      const detail =
        leader === null
          ? `all ${maxBranches} branches finished without an answer`
          : `all ${maxBranches} branches finished; majority answer has ${votes[0]?.count} of ${tally.answered} votes`;
      return { settled: true, detail };
    },
  };
}
