/**
 * Counting answers: one vote per branch, grouped by answer. With an answer format, equivalent
 * answers ("1/2" and "0.5" in `math`, two correct Game-of-24 expressions) share a group.
 */
import { answersEquivalent, type EquivalenceOptions } from "./answer/equivalence.js";
import { probabilityLeaderIsMajority } from "./beta.js";
import type { AnswerFormatName, Consensus, VoteCount } from "./types.js";

/** How a tally decides that two normalised answers are the same. */
export interface VoteTallyOptions extends EquivalenceOptions {
  /**
   * Group answers with `answersEquivalent(…, format)`. Without a format (or an `equivalent`
   * function) only identical keys are grouped.
   */
  format?: AnswerFormatName;
  /** A custom equivalence; takes precedence over `format`. */
  equivalent?: (a: string, b: string) => boolean;
}

/**
 * A weighted tally of branch answers. Deterministic: a tie in weight and count goes to the answer
 * whose traces are shorter on average (when their lengths are known) — shorter chains of thought are
 * more often right (Hassid et al. 2025, "Don't Overthink It") — and then to the one seen first.
 * A new answer joins the first group (in first-seen order) whose representative — its first
 * member's key, which is also the answer the group is shown as — is equivalent to it.
 */
export class VoteTally {
  // Groups in first-seen order, which is the order ties fall back to.
  readonly #groups: VoteCount[] = [];
  // Every key seen, to the group it joined: repeated keys skip the equivalence checks.
  readonly #groupOf = new Map<string, VoteCount>();
  readonly #branches = new Set<number>();
  // Summed trace lengths per group, for the tie-break; NaN once any voter's length is unknown.
  readonly #tokens = new Map<VoteCount, number>();
  readonly #equivalent: ((a: string, b: string) => boolean) | undefined;
  #answered = 0;

  constructor(options: VoteTallyOptions = {}) {
    const { format, equivalent } = options;
    this.#equivalent = equivalent ?? (format === undefined ? undefined : (a, b) => answersEquivalent(a, b, format, options));
  }

  /**
   * Records a branch's answer with the given weight. A branch counts once: later adds for the same
   * branch are ignored. A null answer marks the branch as counted without voting. `tokens`, the
   * branch's length, breaks ties in favour of shorter traces.
   * @throws RangeError when the weight is negative or not finite.
   */
  add(branch: number, answer: string | null, weight = 1, tokens?: number): void {
    if (!(weight >= 0 && Number.isFinite(weight))) {
      throw new RangeError(`vote weight must be finite and non-negative, got ${weight}`);
    }
    if (this.#branches.has(branch)) return;
    this.#branches.add(branch);
    if (answer === null) return;
    this.#answered++;
    const group = this.#groupFor(answer);
    group.count++;
    group.weight += weight;
    this.#tokens.set(group, (this.#tokens.get(group) ?? 0) + (tokens ?? Number.NaN));
  }

  /** The group `answer` belongs to, created (empty) when no existing one is equivalent. */
  #groupFor(answer: string): VoteCount {
    let group = this.#groupOf.get(answer);
    if (group === undefined) {
      const equivalent = this.#equivalent;
      group = equivalent === undefined ? undefined : this.#groups.find((g) => equivalent(g.answer, answer));
      if (group === undefined) {
        group = { answer, count: 0, weight: 0 };
        this.#groups.push(group);
      }
      this.#groupOf.set(answer, group);
    }
    return group;
  }

  /** Number of branches that voted with an answer. */
  get answered(): number {
    return this.#answered;
  }

  /**
   * The group a key would join now (its displayed answer), or null when it would start a new one.
   * Lets callers map a branch's own key to the answer it counted for.
   */
  groupOf(answer: string): string | null {
    const known = this.#groupOf.get(answer);
    if (known) return known.answer;
    const equivalent = this.#equivalent;
    if (equivalent === undefined) return null;
    return this.#groups.find((g) => equivalent(g.answer, answer))?.answer ?? null;
  }

  /** Copies of the counts, by weight then count descending, then shorter traces; then first-seen order. */
  votes(): VoteCount[] {
    const meanTokens = (g: VoteCount): number => (this.#tokens.get(g) ?? Number.NaN) / g.count;
    const shorter = (x: VoteCount, y: VoteCount): number => {
      const d = meanTokens(x) - meanTokens(y);
      return Number.isNaN(d) ? 0 : d;
    };
    // Array.prototype.sort is stable, so entries still equal stay in insertion order.
    return [...this.#groups].sort((x, y) => y.weight - x.weight || y.count - x.count || shorter(x, y)).map((v) => ({ ...v }));
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
