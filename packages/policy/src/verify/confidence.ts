/**
 * Token confidence from the engine's logprobs, after DeepConf (Fu et al. 2025, "Deep Think with
 * Confidence"), and the `confidence` verifier built on it.
 *
 * - token confidence C_i = -(1/k) Σ_{j=1..k} log P_i(j) over the top-k logprobs of token i: large
 *   when the model was sure (the alternatives to its pick are improbable), small when it hesitated;
 * - group confidence: the mean C_i over a sliding window of n tokens (the paper: n = 2048);
 * - lowest group confidence: the minimum over all windows; a trace shorter than n is one group;
 * - tail confidence: the mean C_i of the last m tokens (the paper: m = 2048);
 * - bottom-10% group confidence: the mean of the lowest 10% of the window means.
 *
 * Edge cases follow the paper's reference implementation (facebookresearch/deepconf): with fewer
 * tokens than a window, the statistics are the mean of all tokens; with none, they are 0.
 */
import { readsNothing } from "./resume.js";
import { clampScore } from "./steps.js";
import type { TraceVerifier } from "./verifier.js";

/** What the worker reports with a branch's progress (the shape of `VerifyInput.confidence`). */
export interface ConfidenceSnapshot {
  /** Tokens seen. */
  tokens: number;
  /** Mean logprob of the sampled tokens. */
  meanLogprob: number;
  /** Minimum group confidence over the windows so far (the mean of all tokens while fewer than a window). */
  lowestGroupConfidence: number;
  /** Mean token confidence of the last `tailSize` tokens (all while fewer). */
  tailGroupConfidence: number;
}

/** The DeepConf window size, the paper's (the worker's `TTC_CONFIDENCE_WINDOW` defaults to it too). */
export const DEFAULT_GROUP_SIZE = 2048;
/** The DeepConf tail size, the paper's. */
export const DEFAULT_TAIL_SIZE = 2048;
/**
 * Logprobs below this count as this: an engine may report -Infinity for an impossible alternative,
 * and one infinite token confidence would make every window containing it infinite.
 */
export const LOGPROB_FLOOR = -100;

function checkedLogprob(x: number): number {
  if (Number.isNaN(x) || x === Number.POSITIVE_INFINITY) throw new RangeError(`logprob ${x} is not a log-probability`);
  // A logprob a hair above 0 is float rounding of a certainty.
  if (x > 1e-6) throw new RangeError(`logprob ${x} is above 0`);
  return Math.max(LOGPROB_FLOOR, Math.min(0, x));
}

/**
 * C_i = -(1/k) Σ log P_i(j) over the token's top-k logprobs (natural log, as engines report them).
 * @throws RangeError for an empty list, NaN or a positive logprob.
 */
export function tokenConfidence(topLogprobs: readonly number[]): number {
  if (topLogprobs.length === 0) throw new RangeError("a token needs at least one top logprob");
  let sum = 0;
  for (const lp of topLogprobs) sum += checkedLogprob(lp);
  // `0 - 0` would be -0; report a plain 0.
  return sum === 0 ? 0 : -sum / topLogprobs.length;
}

/** Means of every window of `groupSize` consecutive confidences; one mean of all when shorter; [] for none. */
export function groupConfidences(confidences: readonly number[], groupSize = DEFAULT_GROUP_SIZE): number[] {
  checkSize("groupSize", groupSize);
  if (confidences.length === 0) return [];
  if (confidences.length < groupSize) return [mean(confidences)];
  const out: number[] = [];
  for (let start = 0; start + groupSize <= confidences.length; start++) out.push(mean(confidences.slice(start, start + groupSize)));
  return out;
}

/** The lowest group confidence (0 for no tokens). */
export function lowestGroupConfidence(confidences: readonly number[], groupSize = DEFAULT_GROUP_SIZE): number {
  const groups = groupConfidences(confidences, groupSize);
  return groups.length === 0 ? 0 : Math.min(...groups);
}

/** The mean confidence of the last `tailSize` tokens (all when fewer; 0 for none). */
export function tailConfidence(confidences: readonly number[], tailSize = DEFAULT_TAIL_SIZE): number {
  checkSize("tailSize", tailSize);
  return confidences.length === 0 ? 0 : mean(confidences.slice(-tailSize));
}

/**
 * The mean of the lowest `fraction` of the group confidences (at least one group: the count is
 * max(1, floor(fraction × groups)), as in the reference implementation); 0 for no tokens.
 */
export function bottomGroupConfidence(confidences: readonly number[], groupSize = DEFAULT_GROUP_SIZE, fraction = 0.1): number {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fraction must be in (0, 1], got ${fraction}`);
  const groups = groupConfidences(confidences, groupSize).sort((a, b) => a - b);
  if (groups.length === 0) return 0;
  return mean(groups.slice(0, Math.max(1, Math.floor(groups.length * fraction))));
}

/** Options of {@link ConfidenceTracker}. */
export interface ConfidenceTrackerOptions {
  /** Tokens per group (the sliding window). @default {@link DEFAULT_GROUP_SIZE} */
  groupSize?: number;
  /** Tokens of the tail. @default {@link DEFAULT_TAIL_SIZE} */
  tailSize?: number;
}

/**
 * The confidence statistics of one branch as its tokens stream in, in O(1) time per token and
 * O(max(groupSize, tailSize)) memory: a ring buffer of the latest token confidences with running
 * window sums (recomputed from the buffer once per buffer length, so float drift cannot build up).
 * `snapshot()` after t tokens equals the batch functions on those t tokens.
 */
export class ConfidenceTracker {
  readonly groupSize: number;
  readonly tailSize: number;
  private readonly ring: Float64Array;
  private count = 0;
  private logprobSum = 0;
  private allSum = 0;
  private groupSum = 0;
  private tailSum = 0;
  /** Minimum over complete windows; +Infinity until the first window completes. */
  private lowestWindow = Number.POSITIVE_INFINITY;

  constructor(options: ConfidenceTrackerOptions = {}) {
    this.groupSize = options.groupSize ?? DEFAULT_GROUP_SIZE;
    this.tailSize = options.tailSize ?? DEFAULT_TAIL_SIZE;
    checkSize("groupSize", this.groupSize);
    checkSize("tailSize", this.tailSize);
    this.ring = new Float64Array(Math.max(this.groupSize, this.tailSize));
  }

  /**
   * Adds one generated token: its top-k logprobs and, when known, the logprob of the token actually
   * sampled (for `meanLogprob`; without it, the largest of `topLogprobs`, right for greedy decoding).
   * Returns the token's confidence.
   * @throws RangeError for an empty list, NaN or a positive logprob.
   */
  push(topLogprobs: readonly number[], sampledLogprob?: number): number {
    const c = tokenConfidence(topLogprobs);
    const sampled = sampledLogprob === undefined ? Math.max(...topLogprobs.map(checkedLogprob)) : checkedLogprob(sampledLogprob);
    const capacity = this.ring.length;
    // Read the confidences leaving the window and the tail before their slot may be overwritten.
    const leavingGroup = this.count >= this.groupSize ? this.ring[(this.count - this.groupSize) % capacity]! : 0;
    const leavingTail = this.count >= this.tailSize ? this.ring[(this.count - this.tailSize) % capacity]! : 0;
    this.ring[this.count % capacity] = c;
    this.count++;
    this.logprobSum += sampled;
    this.allSum += c;
    this.groupSum += c - leavingGroup;
    this.tailSum += c - leavingTail;
    if (this.count % capacity === 0) this.resync();
    if (this.count >= this.groupSize) this.lowestWindow = Math.min(this.lowestWindow, this.groupSum / this.groupSize);
    return c;
  }

  /** Tokens pushed. */
  get tokens(): number {
    return this.count;
  }

  /** The latest group's confidence: the mean of the last `groupSize` tokens (all when fewer; 0 for none). */
  get currentGroupConfidence(): number {
    if (this.count === 0) return 0;
    return this.count >= this.groupSize ? this.groupSum / this.groupSize : this.allSum / this.count;
  }

  /** The statistics so far, as the worker reports them. */
  snapshot(): ConfidenceSnapshot {
    if (this.count === 0) return { tokens: 0, meanLogprob: 0, lowestGroupConfidence: 0, tailGroupConfidence: 0 };
    return {
      tokens: this.count,
      meanLogprob: this.logprobSum / this.count,
      lowestGroupConfidence: this.count >= this.groupSize ? this.lowestWindow : this.allSum / this.count,
      tailGroupConfidence: this.tailSum / Math.min(this.count, this.tailSize),
    };
  }

  /** Recomputes the running window sums from the buffer (called once per buffer length). */
  private resync(): void {
    this.groupSum = this.sumOfLast(Math.min(this.count, this.groupSize));
    this.tailSum = this.sumOfLast(Math.min(this.count, this.tailSize));
  }

  private sumOfLast(n: number): number {
    const capacity = this.ring.length;
    let sum = 0;
    for (let i = this.count - n; i < this.count; i++) sum += this.ring[i % capacity]!;
    return sum;
  }
}

/** Options of {@link createConfidenceVerifier}. */
export interface ConfidenceVerifierOptions {
  /** The statistic scored. @default "lowest" (the lowest group confidence, DeepConf online's signal) */
  statistic?: "lowest" | "tail";
  /** The confidence that scores 0.5 (see {@link confidenceScore}). @default 10 */
  halfScoreAt?: number;
}

/**
 * Maps a confidence (≥ 0, unbounded) to 0..1 by c / (c + halfScoreAt): 0 → 0, halfScoreAt → 0.5,
 * 3 × halfScoreAt → 0.75, → 1 as c grows. Strictly increasing, so it keeps the order of branches;
 * the absolute scale depends on the engine and on k, which is why the deepconf policy sets its bar
 * on the raw confidences of its warm-up branches rather than on this score.
 */
export function confidenceScore(confidence: number, halfScoreAt = 10): number {
  const c = Math.max(0, confidence);
  return c === Number.POSITIVE_INFINITY ? 1 : clampScore(c / (c + halfScoreAt));
}

/**
 * The `confidence` verifier: scores `input.confidence` with {@link confidenceScore} and never
 * rejects by itself (the deepconf policy holds the bar). Without confidence (an engine without
 * logprobs, no tokens yet) it scores 1, no evidence either way.
 */
export function createConfidenceVerifier(options: ConfidenceVerifierOptions = {}): TraceVerifier {
  const { statistic = "lowest", halfScoreAt = 10 } = options;
  if (!(halfScoreAt > 0)) throw new RangeError(`halfScoreAt must be positive, got ${halfScoreAt}`);
  return {
    name: "confidence",
    partial: true,
    verify(input) {
      // The judgement comes from the worker's statistics, never from the text: the next call needs none of it again.
      const { confidence } = input;
      const continuation = readsNothing(input);
      if (confidence === undefined || confidence.tokens === 0) {
        return { score: 1, stepScores: [], reject: false, reason: "no confidence reported", verified: false, continuation };
      }
      const value = statistic === "lowest" ? confidence.lowestGroupConfidence : confidence.tailGroupConfidence;
      const score = confidenceScore(value, halfScoreAt);
      const label = statistic === "lowest" ? "lowest group confidence" : "tail confidence";
      return {
        score,
        stepScores: [],
        reject: false,
        reason: `${label} ${value.toFixed(3)} over ${confidence.tokens} tokens`,
        verified: false,
        continuation,
      };
    },
  };
}

function mean(xs: readonly number[]): number {
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

function checkSize(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
}
