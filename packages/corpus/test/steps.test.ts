import { describe, it, expect } from "vitest";
import { splitSteps } from "@ttc/policy";
import { stepTokens } from "../src/steps.js";
import type { CorpusRecord } from "../src/types.js";

function record(text: string, tokens: number): CorpusRecord {
  return {
    id: "r",
    problem: "p",
    gold: "1",
    format: "number",
    source: "test",
    tokenCounting: "chars/4",
    branches: [{ text, tokens }],
  };
}

describe("stepTokens", () => {
  it("apportions tokens in proportion to characters, summing exactly", () => {
    const r = record("aa\nbbbbb\nc\n", 10); // steps of 3, 6, 2 characters
    const per = stepTokens(r, 0);
    // shares 2.73, 5.45, 1.82: floors 2, 5, 1; the 2 left go to the largest remainders (.82, then .73)
    expect(per).toEqual([3, 5, 2]);
    expect(per.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it("breaks remainder ties towards the earlier step, deterministically", () => {
    const r = record("ab\ncd\nef\n", 4); // three equal steps, 4/3 each
    expect(stepTokens(r, 0)).toEqual([2, 1, 1]);
    expect(stepTokens(r, r.branches[0]!)).toEqual([2, 1, 1]);
  });

  it("handles zero tokens, fewer tokens than steps, and an empty text", () => {
    expect(stepTokens(record("a\nb\nc\n", 0), 0)).toEqual([0, 0, 0]);
    expect(stepTokens(record("a\nb\nc\n", 1), 0)).toEqual([1, 0, 0]);
    expect(stepTokens(record("", 0), 0)).toEqual([]);
  });

  it("sums exactly for many random lengths and counts", () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let trial = 0; trial < 200; trial++) {
      const text = Array.from({ length: 1 + rand(12) }, () => "x".repeat(1 + rand(80)) + "\n").join("");
      const tokens = rand(500);
      const per = stepTokens(record(text, tokens), 0);
      expect(per).toHaveLength(splitSteps(text).length);
      expect(per.reduce((a, b) => a + b, 0)).toBe(tokens);
      for (const t of per) expect(Number.isInteger(t) && t >= 0).toBe(true);
    }
  });

  it("names the record when the branch index is out of range", () => {
    expect(() => stepTokens(record("a", 1), 3)).toThrow(/record r has no branch 3/);
  });
});
