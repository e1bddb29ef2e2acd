/**
 * Counting answers: one vote per branch, grouped by normalised answer.
 */
import { probabilityLeaderIsMajority } from "./beta.js";
import type { Consensus, VoteCount } from "./types.js";

/** A weighted tally of branch answers. Deterministic: ties keep the order answers were first seen. */
export class VoteTally {
  // Map iteration follows insertion, which is the first-seen order ties fall back to.
  readonly #counts = new Map<string, VoteCount>();
  readonly #branches = new Set<number>();
  #answered = 0;

  /**
   * Records a branch's answer with the given weight. A branch counts once: later adds for the same
   * branch are ignored. A null answer marks the branch as counted without voting.
   * @throws RangeError when the weight is negative or not finite.
   */
  add(branch: number, answer: string | null, weight = 1): void {
    if (!(weight >= 0 && Number.isFinite(weight))) {
      throw new RangeError(`vote weight must be finite and non-negative, got ${weight}`);
    }
    if (this.#branches.has(branch)) return;
    this.#branches.add(branch);
    if (answer === null) return;
    this.#answered++;
    const entry = this.#counts.get(answer);
    if (entry) {
      entry.count++;
      entry.weight += weight;
    } else {
      this.#counts.set(answer, { answer, count: 1, weight });
    }
  }

  /** Number of branches that voted with an answer. */
  get answered(): number {
    return this.#answered;
  }

  /** Copies of the counts, by weight then count descending; ties keep first-seen order. */
  votes(): VoteCount[] {
    // Array.prototype.sort is stable, so equal entries stay in insertion order.
    return [...this.#counts.values()]
      .map((v) => ({ ...v }))
      .sort((x, y) => y.weight - x.weight || y.count - x.count);
  }

  /** The leader, its share of the answered weight, and the Beta posterior that it is the majority. */
  consensus(): Consensus {
    const votes = this.votes();
    const [first, second] = votes;
    if (first === undefined) return { leader: null, votes, support: 0, leaderProbability: 0 };
    const total = votes.reduce((sum, v) => sum + v.weight, 0);
    return {
      leader: first.answer,
      votes,
      support: total > 0 ? first.weight / total : 0,
      leaderProbability: probabilityLeaderIsMajority(first.weight, second?.weight ?? 0),
    };
  }
}
