import { describe, expect, it } from "vitest";
import { replayedBranch, replayOrder } from "../src/replay-order.js";

describe("replayOrder", () => {
  it("orders exactly as before it was built on @ttc/stats (pinned from the old code)", () => {
    expect(replayOrder(10, 1)).toEqual([9, 8, 1, 6, 7, 2, 3, 4, 0, 5]);
    expect(replayOrder(10, 2)).toEqual([2, 6, 9, 8, 5, 3, 4, 0, 1, 7]);
    expect(replayOrder(8, 0)).toEqual([3, 5, 2, 7, 6, 0, 1, 4]);
    // A seed above 2^32 folds its high word in.
    expect(replayOrder(5, 2 ** 40 + 7)).toEqual([0, 4, 1, 3, 2]);
    expect(replayOrder(100, 123456789).slice(0, 12)).toEqual([73, 86, 20, 79, 8, 83, 38, 13, 14, 26, 41, 50]);
  });

  it("is a permutation, and replayedBranch wraps around it", () => {
    const order = replayOrder(37, 99);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 37 }, (_, i) => i));
    expect(replayedBranch(37, 99, 3)).toBe(order[3]);
    expect(replayedBranch(37, 99, 40)).toBe(order[3]);
  });
});
