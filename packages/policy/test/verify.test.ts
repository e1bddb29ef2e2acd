import { describe, expect, it } from "vitest";
import { planBranch, renderTrace } from "../../sim/src/mod.js";
import { checkArithmetic } from "../src/verify/arith.js";
import { combine, formatRational, parseDecimal } from "../src/rational.js";
import { createVerifier, engineVerifierNames, verifierNames } from "../src/verify/mod.js";

describe("checkArithmetic", () => {
  it("scores right and wrong equations in order", () => {
    const check = checkArithmetic("Step 1: 47 + 18 = 65.\nStep 2: 65 - 5 = 61.\nStep 3: 61 + 1 = 62.");
    expect(check).toEqual({ steps: 3, wrong: 1, stepScores: [1, 0, 1], firstError: "65 - 5 = 61 is wrong (65 - 5 = 60)" });
  });

  it("reports the first error only", () => {
    expect(checkArithmetic("47 + 18 = 66, then 2 + 2 = 5").firstError).toBe("47 + 18 = 66 is wrong (47 + 18 = 65)");
  });

  it("checks decimals exactly", () => {
    expect(checkArithmetic("0.1 + 0.2 = 0.3").stepScores).toEqual([1]);
    expect(checkArithmetic("0.1 + 0.2 = 0.30000000000000004").stepScores).toEqual([0]);
    expect(checkArithmetic("1.5 * 1.5 = 2.25 and 2.50 - 0.5 = 2").stepScores).toEqual([1, 1]);
    expect(checkArithmetic("99999999999999999 + 1 = 100000000000000000").stepScores).toEqual([1]);
  });

  it("divides exactly, accepts a quotient rounded or truncated to the places shown, and nothing looser", () => {
    expect(checkArithmetic("84 / 4 = 21, 7 ÷ 2 = 3.5").stepScores).toEqual([1, 1]);
    expect(checkArithmetic("10 / 3 = 3.33, 2 / 3 = 0.667, 2 / 3 = 0.666").stepScores).toEqual([1, 1, 1]);
    expect(checkArithmetic("10 / 3 = 3.4").firstError).toBe("10 / 3 = 3.4 is wrong (10 / 3 = 10/3)");
    expect(checkArithmetic("10 / 3 = 3").firstError).toBe("10 / 3 = 3 is wrong (10 / 3 = 10/3)");
    expect(checkArithmetic("1 / 8 = 0.125").stepScores).toEqual([1]);
    expect(checkArithmetic("5 / 0 = 0").firstError).toBe("5 / 0 = 0 is wrong (division by zero)");
  });

  it("does not judge a piece of a LaTeX product (2 \\cdot 3 \\cdot 4 \\cdot 5 + 1 = 121)", () => {
    expect(checkArithmetic("\\(2 \\cdot 3 \\cdot 4 \\cdot 5 + 1 = 121\\)").steps).toBe(0);
    expect(checkArithmetic("(4 \\times 5) + 1 = 21 and 3 + 4 = 7 \\cdot 2").steps).toBe(0);
  });

  it("reads ×, x and * as multiplication", () => {
    expect(checkArithmetic("12 × 3 = 36; 4 x 5 = 20; 6*7=42").stepScores).toEqual([1, 1, 1]);
    expect(checkArithmetic("12 × 3 = 37").firstError).toBe("12 × 3 = 37 is wrong (12 × 3 = 36)");
  });

  it("handles negative numbers", () => {
    expect(checkArithmetic("-3 + 5 = 2, 5 - -3 = 8, -4 * -2 = 8, 3 - 10 = -7").stepScores).toEqual([1, 1, 1, 1]);
    expect(checkArithmetic("-6 / 4 = -1.5").stepScores).toEqual([1]);
    expect(checkArithmetic("2 - 5 = 3").firstError).toBe("2 - 5 = 3 is wrong (2 - 5 = -3)");
  });

  it("finds nothing in a trace without equations", () => {
    expect(checkArithmetic("We think about it carefully. The answer is 42.")).toEqual({
      steps: 0,
      wrong: 0,
      stepScores: [],
      firstError: null,
    });
  });

  it("ignores equations that are not a plain binary a op b = c", () => {
    for (const text of [
      "2 + 3 + 4 = 9", // chain on the left
      "y = 3 + 4 = 7", // part of a longer equation
      "2 + 3 = 5 + 1", // continues on the right
      "1,000 + 1 = 1,001", // thousands separators
      "50 + 10 = 60%", // units we do not model
      "4 x 3 x 2 = 24",
      "1/2 + 1/4 = 3/4",
      "3 + 4 == 7",
    ]) {
      expect(checkArithmetic(text).steps, text).toBe(0);
    }
  });

  it("accepts a full stop after the result", () => {
    expect(checkArithmetic("so 6 + 7 = 13.").stepScores).toEqual([1]);
  });

  it("leaves an equation at the end of a partial trace for later", () => {
    expect(checkArithmetic("47 + 18 = 6", { partial: true }).steps).toBe(0);
    expect(checkArithmetic("0.1 + 0.2 = 0.", { partial: true }).steps).toBe(0);
    expect(checkArithmetic("2 + 3 = 5 ", { partial: true }).steps).toBe(0);
    expect(checkArithmetic("47 + 18 = 66. so we", { partial: true }).wrong).toBe(1);
    expect(checkArithmetic("47 + 18 = 6").wrong).toBe(1);
  });
});

describe("rational helpers", () => {
  it("parse, combine and format exactly", () => {
    expect(formatRational(combine(parseDecimal("-0.25"), "-", parseDecimal("1"))!)).toBe("-1.25");
    expect(formatRational(combine(parseDecimal("1"), "/", parseDecimal("-3"))!)).toBe("-1/3");
    expect(formatRational(parseDecimal("12.500"))).toBe("12.5");
    expect(combine(parseDecimal("1"), "/", parseDecimal("0.0"))).toBeNull();
  });
});

describe("createVerifier", () => {
  it("knows every verifier, and lists them for unknown names", () => {
    expect(verifierNames).toEqual(["none", "arith", "rule", "recorded", "confidence", "prm", "judge"]);
    expect(() => createVerifier("orm")).toThrow(/known: none, arith, rule, recorded, confidence, prm, judge$/);
    for (const name of verifierNames.filter((n) => !(engineVerifierNames as readonly string[]).includes(n))) {
      const verifier = createVerifier(name);
      expect(verifier.name).toBe(name);
      expect(verifier.partial).toBe(name !== "none");
      // The old two-field input still works with every verifier.
      expect(verifier.verify({ trace: "Step 1: 2 + 2 = 4.\nThe answer is 4.", final: true })).toMatchObject({
        reject: false,
        verified: false,
      });
    }
  });

  it("engine verifiers know whether they judge partial traces but refuse to run inline", () => {
    expect(engineVerifierNames).toEqual(["prm", "judge"]);
    expect(createVerifier("prm").partial).toBe(true);
    expect(createVerifier("judge").partial).toBe(false);
    for (const name of engineVerifierNames) {
      expect(() => createVerifier(name).verify({ trace: "2 + 2 = 4", final: true })).toThrow(
        /served only by the verifier service.*cannot run inline/,
      );
    }
  });

  it("none accepts everything, verifies nothing and cannot judge partial traces", () => {
    const none = createVerifier("none");
    expect(none.partial).toBe(false);
    expect(none.verify({ trace: "2 + 2 = 5", final: true })).toEqual({
      score: 1,
      stepScores: [],
      reject: false,
      reason: "not verified",
      verified: false,
      continuation: { offset: 9, resume: "" },
    });
  });

  it("arith scores the share of right equations and rejects any wrong one", () => {
    const arith = createVerifier("arith");
    expect(arith.name).toBe("arith");
    expect(arith.partial).toBe(true);
    expect(arith.verify({ trace: "2 + 2 = 4. 3 * 3 = 10. 1 + 1 = 2. 4 - 1 = 3.", final: true })).toEqual({
      score: 0.75,
      stepScores: [1, 0, 1, 1],
      reject: true,
      reason: "3 * 3 = 10 is wrong (3 * 3 = 9)",
      verified: false,
      continuation: expect.any(Object),
    });
    expect(arith.verify({ trace: "no maths here", final: true })).toEqual({
      score: 1,
      stepScores: [],
      reject: false,
      reason: "no equations to check",
      verified: false,
      continuation: expect.any(Object),
    });
    expect(arith.verify({ trace: "2 + 2 = 4.", final: true }).reason).toBe("1 equation right");
  });

  it("arith defers a possibly unfinished last equation until the trace is final", () => {
    const arith = createVerifier("arith");
    expect(arith.verify({ trace: "Step 1: 47 + 18 = 6", final: false }).reject).toBe(false);
    expect(arith.verify({ trace: "Step 1: 47 + 18 = 6", final: true }).reject).toBe(true);
  });
});

describe("arith on sim traces", () => {
  const prompt = "How many apples are left?";
  const branches = Array.from({ length: 300 }, (_, seed) => planBranch(prompt, seed, Number.POSITIVE_INFINITY));
  const arith = createVerifier("arith");

  it("rejects every trace with a slip and accepts every other one", () => {
    expect(branches.some((b) => b.slip)).toBe(true);
    for (const branch of branches) {
      const verdict = arith.verify({ trace: renderTrace(branch.tokens), final: true });
      expect(verdict.reject).toBe(branch.slip);
      expect(verdict.stepScores.length).toBeGreaterThanOrEqual(3);
      if (branch.slip) expect(verdict.stepScores.filter((s) => s === 0)).toHaveLength(1);
    }
  });

  it("accepts correct traces at every step boundary while they stream", () => {
    const branch = branches.find((b) => b.correct)!;
    let trace = "";
    for (const token of branch.tokens) {
      trace += token.text;
      if (token.stepEnd) expect(arith.verify({ trace, final: false }).reject).toBe(false);
    }
  });

  it("catches a slip on a partial trace by the end of the slipped step", () => {
    const branch = branches.find((b) => b.slip)!;
    let trace = "";
    let rejectedAt = -1;
    let stepsSeen = 0;
    for (const token of branch.tokens) {
      trace += token.text;
      if (!token.stepEnd) continue;
      stepsSeen++;
      if (rejectedAt < 0 && arith.verify({ trace, final: false }).reject) rejectedAt = stepsSeen;
    }
    expect(rejectedAt).toBeGreaterThan(1); // the slip is never in the first step
    expect(rejectedAt).toBeLessThan(stepsSeen); // nor in the landing step
  });
});
