import { describe, expect, it } from "vitest";
import { createVerifier } from "../src/verify/mod.js";
import { parseNumber, formatRational } from "../src/rational.js";

describe("rule verifier on formats without an exact checker", () => {
  const rule = createVerifier("rule");

  it("scores a well-formed final answer 1, unverified", () => {
    expect(rule.verify({ trace: "Step 1: 47 + 18 = 65.\nThe answer is 65.", final: true, format: "number" })).toEqual({
      score: 1,
      stepScores: [1],
      reject: false,
      reason: '1 equation right; well-formed number answer "65" (no answer key to check it against)',
      verified: false,
      continuation: expect.any(Object),
    });
    expect(rule.verify({ trace: "So the answer is 05/01/2021.", final: true, format: "date" })).toMatchObject({
      score: 1,
      verified: false,
    });
    expect(rule.verify({ trace: "The answer is (B).", final: true, format: "choice" })).toMatchObject({ score: 1, verified: false });
    expect(rule.verify({ trace: "Thus $\\boxed{\\frac{2}{4}}$", final: true, format: "math" }).reason).toMatch(/"1\/2"/);
  });

  it("scores 0 without rejecting a final answer it cannot extract or read", () => {
    const missing = rule.verify({ trace: "I am not sure how to go on.", final: true, format: "number" });
    expect(missing).toEqual({
      score: 0,
      stepScores: [],
      reject: false,
      reason: "no number answer found",
      verified: false,
      continuation: expect.any(Object),
    });
    const unreadable = rule.verify({ trace: "So the answer is 02/30/2021.", final: true, format: "date" });
    expect(unreadable).toMatchObject({ score: 0, reject: false, verified: false });
    expect(unreadable.reason).toBe('"02/30/2021" does not read as a date answer');
    expect(rule.verify({ trace: "Answer: none of them", final: true, format: "choice" })).toMatchObject({ score: 0, reject: false });
    // No format named, no Game-of-24 prompt: any marked answer is text.
    expect(rule.verify({ trace: "The answer is blue.", final: true })).toMatchObject({ score: 1, reject: false });
    expect(rule.verify({ trace: "Hmm.", final: true })).toMatchObject({ score: 0, reason: "no text answer found" });
  });

  it("rejects an arithmetic slip, partial or final", () => {
    const slip = "Step 1: 47 + 18 = 66.\nStep 2: 66 * 2 = 132.\n";
    expect(rule.verify({ trace: slip, final: false, format: "number" })).toEqual({
      score: 0,
      stepScores: [0, 1],
      reject: true,
      reason: "47 + 18 = 66 is wrong (47 + 18 = 65)",
      verified: false,
      continuation: expect.any(Object),
    });
    expect(rule.verify({ trace: `${slip}The answer is 132.`, final: true, format: "number" })).toMatchObject({ score: 0, reject: true });
  });

  it("does not judge a partial trace's answer", () => {
    expect(rule.verify({ trace: "Step 1: 2 + 2 = 4.\nStep 2: 4 * 3 = 1", final: false, format: "number" })).toEqual({
      score: 1,
      stepScores: [1],
      reject: false,
      reason: "1 equation right; no final answer yet",
      verified: false,
      continuation: expect.any(Object),
    });
    expect(rule.verify({ trace: "", final: false, format: "number" }).reason).toBe("no final answer yet");
  });

  it("reads a game24 answer without the numbers, but verifies nothing", () => {
    const out = rule.verify({ trace: "Answer: (10 - 4) * 5 - 6 = 24", final: true, format: "game24" });
    expect(out).toMatchObject({ score: 1, reject: false, verified: false });
    expect(out.reason).toMatch(/no Input: line/);
  });
});

describe("rational parsing of fractions", () => {
  it("reads integers, decimals and a/b", () => {
    expect(formatRational(parseNumber("5/3")!)).toBe("5/3");
    expect(formatRational(parseNumber("-6/4")!)).toBe("-1.5");
    expect(formatRational(parseNumber("1.50")!)).toBe("1.5");
    expect(parseNumber("1/0")).toBeNull();
    expect(parseNumber("1 / 3")).toBeNull();
    expect(parseNumber("x")).toBeNull();
  });
});
