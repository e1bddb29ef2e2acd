import { describe, expect, it } from "vitest";
import {
  bottomGroupConfidence,
  ConfidenceTracker,
  confidenceScore,
  createConfidenceVerifier,
  groupConfidences,
  lowestGroupConfidence,
  tailConfidence,
  tokenConfidence,
} from "../src/verify/confidence.js";
import { createVerifier } from "../src/verify/mod.js";

/**
 * Five tokens, top-2 logprobs each, and their confidences by hand, C_i = -(lp1 + lp2) / 2:
 *   t1 [-0.1, -2.3] → 1.2    t2 [-0.5, -1.5] → 1.0    t3 [-1, -3] → 2.0
 *   t4 [-0.2, -0.6] → 0.4    t5 [0, -5]      → 2.5
 * Windows of 2: 1.1, 1.5, 1.2, 1.45 → lowest 1.1. Tail of 3: (2.0 + 0.4 + 2.5) / 3 = 4.9 / 3.
 * Mean sampled logprob (greedy: the largest of each): (-0.1 - 0.5 - 1 - 0.2 + 0) / 5 = -0.36.
 */
const tokens = [
  [-0.1, -2.3],
  [-0.5, -1.5],
  [-1, -3],
  [-0.2, -0.6],
  [0, -5],
];
const confs = [1.2, 1.0, 2.0, 0.4, 2.5];

describe("token confidence", () => {
  it("is minus the mean of the top-k logprobs", () => {
    tokens.forEach((t, i) => expect(tokenConfidence(t)).toBeCloseTo(confs[i]!, 12));
    // Top-3 probabilities 1/2, 1/4, 1/8: -(−ln2 − 2ln2 − 3ln2)/3 = 2 ln 2.
    expect(tokenConfidence([Math.log(0.5), Math.log(0.25), Math.log(0.125)])).toBeCloseTo(2 * Math.LN2, 12);
    expect(tokenConfidence([0])).toBe(0);
  });

  it("floors -Infinity at -100 and refuses what is not a logprob", () => {
    expect(tokenConfidence([0, Number.NEGATIVE_INFINITY])).toBe(50);
    expect(tokenConfidence([-1e-9, -2])).toBeCloseTo(1, 8);
    expect(() => tokenConfidence([])).toThrow(RangeError);
    expect(() => tokenConfidence([Number.NaN])).toThrow(RangeError);
    expect(() => tokenConfidence([0.5, -1])).toThrow(/above 0/);
  });
});

describe("group, lowest, tail and bottom-10% confidence", () => {
  it("computes the hand-worked example", () => {
    const groups = groupConfidences(confs, 2);
    [1.1, 1.5, 1.2, 1.45].forEach((g, i) => expect(groups[i]).toBeCloseTo(g, 12));
    expect(groups).toHaveLength(4);
    expect(lowestGroupConfidence(confs, 2)).toBeCloseTo(1.1, 12);
    expect(tailConfidence(confs, 3)).toBeCloseTo(4.9 / 3, 12);
    // 4 groups × 10% → max(1, floor(0.4)) = 1 group: the lowest. At 50%: the lowest two, 1.1 and 1.2.
    expect(bottomGroupConfidence(confs, 2)).toBeCloseTo(1.1, 12);
    expect(bottomGroupConfidence(confs, 2, 0.5)).toBeCloseTo(1.15, 12);
    // Windows of 3: 4.2/3, 3.4/3, 4.9/3.
    expect(lowestGroupConfidence(confs, 3)).toBeCloseTo(3.4 / 3, 12);
  });

  it("treats a trace shorter than a window as one group, and no tokens as 0", () => {
    expect(groupConfidences(confs, 2048)).toHaveLength(1);
    expect(groupConfidences(confs, 2048)[0]).toBeCloseTo(1.42, 12);
    expect(lowestGroupConfidence(confs)).toBeCloseTo(1.42, 12);
    expect(tailConfidence(confs)).toBeCloseTo(1.42, 12);
    expect(bottomGroupConfidence(confs)).toBeCloseTo(1.42, 12);
    expect(groupConfidences([], 4)).toEqual([]);
    expect(lowestGroupConfidence([], 4)).toBe(0);
    expect(tailConfidence([], 4)).toBe(0);
    expect(bottomGroupConfidence([], 4)).toBe(0);
  });

  it("refuses nonsense sizes", () => {
    expect(() => groupConfidences(confs, 0)).toThrow(RangeError);
    expect(() => tailConfidence(confs, 1.5)).toThrow(RangeError);
    expect(() => bottomGroupConfidence(confs, 2, 0)).toThrow(RangeError);
  });
});

describe("ConfidenceTracker", () => {
  it("follows the hand-worked example token by token", () => {
    const tracker = new ConfidenceTracker({ groupSize: 2, tailSize: 3 });
    expect(tracker.snapshot()).toEqual({ tokens: 0, meanLogprob: 0, lowestGroupConfidence: 0, tailGroupConfidence: 0 });
    const expected = [
      // after t1: one partial group
      { lowest: 1.2, tail: 1.2, current: 1.2 },
      { lowest: 1.1, tail: 1.1, current: 1.1 },
      { lowest: 1.1, tail: 4.2 / 3, current: 1.5 },
      { lowest: 1.1, tail: 3.4 / 3, current: 1.2 },
      { lowest: 1.1, tail: 4.9 / 3, current: 1.45 },
    ];
    tokens.forEach((t, i) => {
      expect(tracker.push(t)).toBeCloseTo(confs[i]!, 12);
      const snap = tracker.snapshot();
      expect(snap.tokens).toBe(i + 1);
      expect(snap.lowestGroupConfidence).toBeCloseTo(expected[i]!.lowest, 12);
      expect(snap.tailGroupConfidence).toBeCloseTo(expected[i]!.tail, 12);
      expect(tracker.currentGroupConfidence).toBeCloseTo(expected[i]!.current, 12);
    });
    expect(tracker.snapshot().meanLogprob).toBeCloseTo(-0.36, 12);
  });

  it("uses the sampled token's logprob for meanLogprob when given", () => {
    const tracker = new ConfidenceTracker();
    tracker.push([-0.1, -2.3], -2.3);
    tracker.push([-0.5, -1.5], -0.5);
    expect(tracker.snapshot().meanLogprob).toBeCloseTo(-1.4, 12);
    expect(tracker.snapshot().lowestGroupConfidence).toBeCloseTo(1.1, 12);
    expect(tracker.groupSize).toBe(2048);
    expect(tracker.tailSize).toBe(2048);
  });

  it("matches the batch functions at every length of a long stream (O(1) updates, resynced)", () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const tracker = new ConfidenceTracker({ groupSize: 64, tailSize: 100 });
    const seen: number[] = [];
    for (let i = 0; i < 3000; i++) {
      // A stretch of hesitation in the middle gives the lowest window a place to be.
      const spread = i > 1400 && i < 1500 ? 0.5 : 6;
      const top = Array.from({ length: 5 }, (_, j) => -(random() * spread * j));
      seen.push(tracker.push(top));
      if (i % 97 === 0 || i === 2999 || i === 63 || i === 64) {
        const snap = tracker.snapshot();
        expect(snap.lowestGroupConfidence).toBeCloseTo(lowestGroupConfidence(seen, 64), 9);
        expect(snap.tailGroupConfidence).toBeCloseTo(tailConfidence(seen, 100), 9);
      }
    }
  });

  it("refuses nonsense sizes", () => {
    expect(() => new ConfidenceTracker({ groupSize: 0 })).toThrow(RangeError);
    expect(() => new ConfidenceTracker({ tailSize: -1 })).toThrow(RangeError);
  });
});

describe("confidence verifier", () => {
  const verifier = createVerifier("confidence");

  it("maps the lowest group confidence monotonically to 0..1 and never rejects", () => {
    expect(verifier).toMatchObject({ name: "confidence", partial: true });
    const at = (lowest: number, final = false) =>
      verifier.verify({
        trace: "...",
        final,
        confidence: { tokens: 100, meanLogprob: -0.2, lowestGroupConfidence: lowest, tailGroupConfidence: 12 },
      });
    expect(at(10)).toEqual({
      score: 0.5,
      stepScores: [],
      reject: false,
      reason: "lowest group confidence 10.000 over 100 tokens",
      verified: false,
      // It reads the worker's statistics, never the text: the next call needs none of it again.
      continuation: { offset: 3, resume: "" },
    });
    expect(at(30).score).toBe(0.75);
    expect(at(0).score).toBe(0);
    expect(at(0, true).reject).toBe(false);
    const scores = [0, 0.5, 1, 2, 5, 10, 20, 100, 1e6].map((c) => at(c).score);
    expect([...scores].sort((a, b) => a - b)).toEqual(scores);
    expect(new Set(scores).size).toBe(scores.length);
    expect(confidenceScore(Number.POSITIVE_INFINITY)).toBe(1);
    expect(confidenceScore(-3)).toBe(0);
  });

  it("can score the tail instead, with its own half-score point", () => {
    const tail = createConfidenceVerifier({ statistic: "tail", halfScoreAt: 4 });
    expect(
      tail.verify({ trace: "", final: true, confidence: { tokens: 5, meanLogprob: 0, lowestGroupConfidence: 1, tailGroupConfidence: 12 } })
        .score,
    ).toBe(0.75);
    expect(() => createConfidenceVerifier({ halfScoreAt: 0 })).toThrow(RangeError);
  });

  it("scores 1 when no confidence is reported", () => {
    expect(verifier.verify({ trace: "x", final: false })).toMatchObject({ score: 1, reject: false, reason: "no confidence reported" });
    expect(
      verifier.verify({
        trace: "x",
        final: false,
        confidence: { tokens: 0, meanLogprob: 0, lowestGroupConfidence: 0, tailGroupConfidence: 0 },
      }).score,
    ).toBe(1);
  });

  it("scores what the tracker reports", () => {
    const tracker = new ConfidenceTracker({ groupSize: 2, tailSize: 3 });
    for (const t of tokens) tracker.push(t);
    expect(verifier.verify({ trace: "", final: true, confidence: tracker.snapshot() }).score).toBeCloseTo(1.1 / 11.1, 12);
  });
});
