/**
 * Early-Stopping Self-Consistency (Li et al. 2024): sample in windows of `window` branches, in order;
 * stop at the first window whose answers are all the same, and answer with it. If no window agrees,
 * the answer is the majority over every branch.
 */
import { probabilityLeaderIsMajority } from "../beta.js";
import type { Consensus, Policy, PolicyContext } from "../types.js";
import { VoteTally } from "../vote.js";
import { readParams } from "./params.js";

export const escParamSpecs = {
  window: { default: 5, min: 1, max: 1000, integer: true, doc: "branches per window" },
};

/** Windows are branch-index ranges [k·w, (k+1)·w); they are judged in order, each once complete. */
export function createEscPolicy(params: Record<string, number> = {}): Policy {
  const { window: w } = readParams("esc", escParamSpecs, params);
  const tally = new VoteTally();
  const answers = new Map<number, string | null>();
  let agreed: { answer: string; window: number } | null = null;

  /** The first complete window in order that agrees, scanning no further than the first incomplete one. */
  function check(maxBranches: number): void {
    if (agreed) return;
    for (let start = 0; start < maxBranches; start += w) {
      const size = Math.min(w, maxBranches - start);
      const seen: Array<string | null> = [];
      for (let i = start; i < start + size; i++) {
        if (!answers.has(i)) return; // incomplete window: later windows may not be judged yet
        seen.push(answers.get(i)!);
      }
      if (size === w && seen[0] != null && seen.every((a) => a === seen[0])) {
        agreed = { answer: seen[0], window: start / w };
        return;
      }
    }
  }

  const consensus = (): Consensus => {
    const c = tally.consensus();
    if (!agreed) return c;
    const a = agreed.answer;
    const votes = [...c.votes.filter((v) => v.answer === a), ...c.votes.filter((v) => v.answer !== a)];
    const total = votes.reduce((s, v) => s + v.weight, 0);
    // The posterior is the window answer's against its strongest rival (it need not lead the whole tally).
    return {
      leader: a,
      votes,
      support: total > 0 ? votes[0]!.weight / total : 0,
      leaderProbability: probabilityLeaderIsMajority(votes[0]!.weight, votes[1]?.weight ?? 0),
    };
  };

  return {
    name: "esc",
    params: Object.freeze({ window: w }),
    vote(branch, answer, _score, view) {
      tally.add(branch, answer, 1, view?.tokens);
      answers.set(branch, answer);
    },
    consensus,
    settled({ finished, maxBranches }) {
      check(maxBranches);
      if (agreed) return { settled: true, detail: `window ${agreed.window + 1} (${w} branches) agreed on "${agreed.answer}"` };
      if (finished >= maxBranches) return { settled: true, detail: `no window of ${w} agreed; majority over all ${maxBranches} branches` };
      return { settled: false, detail: `no window of ${w} has agreed yet (${finished} branches ended)` };
    },
    demand(context: PolicyContext) {
      // Finish launching the current window; open the next one only when nothing is in flight.
      const partial = context.launched % w;
      if (partial !== 0) return context.inFlight + (w - partial);
      return context.inFlight > 0 ? context.inFlight : w;
    },
  };
}
