import { describe, expect, it } from "vitest";
import { mean, quantile } from "../src/mod.js";

describe("quantile", () => {
  it("interpolates linearly between order statistics, as numpy's default does", () => {
    expect(quantile([1, 2], 0.5)).toBe(1.5);
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 20], 0)).toBe(10);
    expect(quantile([10, 20], 1)).toBe(20);
    expect(quantile([5], 0.9)).toBe(5);
    // DeepConf's bars: the 10th and 90th percentiles of four warm-up confidences.
    expect(quantile([16, 10, 14, 12], 0.1)).toBeCloseTo(10.6, 12);
    expect(quantile([16, 10, 14, 12], 0.9)).toBeCloseTo(15.4, 12);
  });

  it("returns what the evaluator's quantile and DeepConf's percentile returned (pinned from the old code)", () => {
    expect(quantile([1, 2, 3, 4], 0.95)).toBe(3.8499999999999996);
    expect(quantile([16, 10, 14, 12], (100 - 90) / 100)).toBe(10.6);
    expect(quantile([16, 10, 14, 12], (100 - 10) / 100)).toBeCloseTo(15.4, 12);
    expect(quantile([0.3, 0.1, 0.7, 0.2, 0.9], 0.025000000000000022)).toBe(0.11000000000000001);
  });

  it("is 0 for no values and leaves its input unsorted", () => {
    expect(quantile([], 0.5)).toBe(0);
    const xs = [3, 1, 2];
    quantile(xs, 0.5);
    expect(xs).toEqual([3, 1, 2]);
  });
});

describe("mean", () => {
  it("averages, and is 0 for no values", () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(mean([])).toBe(0);
  });
});
