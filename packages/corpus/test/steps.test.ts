import { describe, it, expect } from "vitest";
import { splitSteps, stepTokens } from "../src/steps.js";
import type { CorpusRecord } from "../src/types.js";

describe("splitSteps", () => {
  it("splits at every line when the text has no blank-line paragraphs", () => {
    expect(splitSteps("a\nb\nc")).toEqual(["a\n", "b\n", "c"]);
    expect(splitSteps("a\nb\nc\n")).toEqual(["a\n", "b\n", "c\n"]);
  });

  it("splits at blank lines when the text has paragraphs, keeping the blank lines with the paragraph before", () => {
    expect(splitSteps("a\nb\n\nc\nd\n\n\ne")).toEqual(["a\nb\n\n", "c\nd\n\n\n", "e"]);
  });

  it("treats a whitespace-only line as blank", () => {
    expect(splitSteps("a\n  \t\nb")).toEqual(["a\n  \t\n", "b"]);
  });

  it("merges leading whitespace into the first step and trailing whitespace into the last", () => {
    expect(splitSteps("\nQ1. x\ny.\n\n")).toEqual(["\nQ1. x\n", "y.\n\n"]);
    expect(splitSteps("\n\n  a\nb  \n \n")).toEqual(["\n\n  a\n", "b  \n \n"]);
  });

  it("leading and trailing blank lines alone do not switch to paragraphs", () => {
    expect(splitSteps("\n\na\nb\n\n")).toEqual(["\n\na\n", "b\n\n"]);
  });

  it("gives no steps for an empty text and one for a text of whitespace only", () => {
    expect(splitSteps("")).toEqual([]);
    expect(splitSteps(" \n\n ")).toEqual([" \n\n "]);
    expect(splitSteps("one line")).toEqual(["one line"]);
  });

  it("keeps \\r\\n line ends inside the steps", () => {
    expect(splitSteps("a\r\nb\r\n\r\nc")).toEqual(["a\r\nb\r\n\r\n", "c"]);
  });

  it("round-trips and never yields an empty or whitespace-only step, on awkward texts", () => {
    const texts = ["\n", "\n\n\n", "a", "a\n\n", "\n\na", " a \n \n b \n", "x\n\n\ny\nz\n\n", "∑ 😀\n\n😀\n", "\r\n\r\na\r\n"];
    for (const t of texts) {
      const steps = splitSteps(t);
      expect(steps.join("")).toBe(t);
      if (t.trim() !== "") for (const s of steps) expect(s.trim()).not.toBe("");
    }
  });
});

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
