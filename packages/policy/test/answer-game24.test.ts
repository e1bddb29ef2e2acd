/**
 * Game of 24. The traces and expressions are short literals from the GPT-4 chain-of-thought log of
 * Tree of Thoughts (tot-game24-gpt4-cot-n100.json, puzzle "4 5 6 10" and others).
 */
import { describe, expect, it } from "vitest";
import { answerKey, answersEquivalent, checkGame24, extractAnswer, normaliseAnswer, parseGame24Numbers } from "../src/answer.js";
import { VoteTally } from "../src/vote.js";

const PUZZLE = [4, 5, 6, 10];

describe("checkGame24", () => {
  it("accepts the corpus's correct answers, in exact arithmetic", () => {
    for (const expression of ["(10 - 4) * 5 - 6 = 24", "(10 - 6) * 5 + 4 = 24", "(4 * 5) + (10 - 6) = 24", "(5 * 6) - (10 - 4)"]) {
      expect(checkGame24(expression, PUZZLE), expression).toEqual({ valid: true, reason: "uses 4 5 6 10 and equals 24" });
    }
    // Fractions on the way are exact: 6 / (1 - 3/4) = 24, 8 / (3 - 8/3) = 24.
    expect(checkGame24("6 / (1 - 3 / 4)", [1, 3, 4, 6]).valid).toBe(true);
    expect(checkGame24("8 / (3 - 8 / 3)", [3, 3, 8, 8]).valid).toBe(true);
  });

  it("rejects the corpus's wrong answers, saying why", () => {
    expect(checkGame24("(6 - 4) * 5 = 24", PUZZLE)).toEqual({ valid: false, reason: "uses 6 4 5, but the numbers are 4 5 6 10" });
    expect(checkGame24("(10 - 4) * (6 / 5) = 24", PUZZLE)).toEqual({ valid: false, reason: "equals 36/5, not 24" });
    expect(checkGame24("(6 * 4) * (10 - 5) = 24", PUZZLE)).toEqual({ valid: false, reason: "equals 120, not 24" });
    expect(checkGame24("(10 - 4) * (6 / 6) = 24", PUZZLE).reason).toBe("uses 10 4 6 6, but the numbers are 4 5 6 10");
    expect(checkGame24("(10 - 6) * (4 + 5) = 21", PUZZLE)).toEqual({ valid: false, reason: "the expression is set equal to 21, not 24" });
  });

  it("uses the numbers as a multiset", () => {
    expect(checkGame24("(4 + 4) * (10 - 7)", [4, 4, 7, 10]).valid).toBe(true);
    expect(checkGame24("(4 + 4) * (10 - 7)", [4, 7, 7, 10]).valid).toBe(false);
    expect(checkGame24("4 * 6", [4, 6]).valid).toBe(true);
    expect(checkGame24("4 * 6 * 1", PUZZLE).valid).toBe(false);
  });

  it("accepts ×, ÷, LaTeX operators and brackets", () => {
    expect(checkGame24("(10 − 4) × 5 − 6 = 24", PUZZLE).valid).toBe(true);
    expect(checkGame24("6 ÷ (1 − 3 ÷ 4)", [1, 3, 4, 6]).valid).toBe(true);
    expect(checkGame24("\\left(10 - 4\\right) \\times 5 - 6", PUZZLE).valid).toBe(true);
    expect(checkGame24("[10 - 4] * 5 - 6", PUZZLE).valid).toBe(true);
  });

  it("treats division by zero, unary minus and malformed text as invalid", () => {
    expect(checkGame24("4 / (5 - 5) + 6 * 4", [4, 5, 5, 6])).toEqual({ valid: false, reason: "division by zero" });
    expect(checkGame24("-4 + 4 * 6 + 4", [4, 4, 4, 6]).reason).toBe("unary minus is not an operation of the game");
    expect(checkGame24("(4 + 5 * 6 - 10", PUZZLE).reason).toBe("unbalanced parentheses");
    expect(checkGame24("4 5 * 6 - 10", PUZZLE).reason).toBe("two operands without an operator between them");
    expect(checkGame24("4 * x", PUZZLE).reason).toBe('unexpected character "x"');
    expect(checkGame24("4 * 6 = 24 = 24", [4, 6]).reason).toBe('more than one "="');
    expect(checkGame24("", PUZZLE).reason).toBe("empty expression");
    expect(checkGame24("4 *", PUZZLE).reason).toBe("the expression ends too early");
  });

  it("is exact where floating point is not", () => {
    // In doubles 8 / (3 - 8 / 3) is 23.99999999999999; as rationals it is 24.
    expect(8 / (3 - 8 / 3)).not.toBe(24);
    expect(checkGame24("8 / (3 - 8 / 3)", [3, 3, 8, 8]).valid).toBe(true);
    expect(checkGame24("(3 + 3 / 7) * 7", [3, 3, 7, 7])).toEqual({ valid: true, reason: "uses 3 3 7 7 and equals 24" });
    expect(checkGame24("(3 + 3 / 7) * 7 - 1 / 7", [3, 3, 7, 7]).reason).toBe("uses 3 3 7 7 1 7, but the numbers are 3 3 7 7");
  });
});

describe("parseGame24Numbers", () => {
  it("reads an Input: line or a prompt of four numbers", () => {
    expect(parseGame24Numbers("Use numbers and basic arithmetic operations (+ - * /) to obtain 24.\nInput: 4 5 6 10\nAnswer:")).toEqual(
      PUZZLE,
    );
    expect(parseGame24Numbers("4 5 6 10")).toEqual(PUZZLE);
    expect(parseGame24Numbers(" 1, 1, 4, 6 ")).toEqual([1, 1, 4, 6]);
    expect(parseGame24Numbers("input: 2 5 8 11")).toEqual([2, 5, 8, 11]);
    expect(parseGame24Numbers("input:  13, 12, 1, 1 ")).toEqual([13, 12, 1, 1]);
    // A few-shot prompt: the last Input line is the puzzle.
    const fewShot =
      "Use numbers and basic arithmetic operations (+ - * /) to obtain 24.\nInput: 4 4 6 8\nSteps:\n...\nInput: 1 1 4 6\nSteps:";
    expect(parseGame24Numbers(fewShot)).toEqual([1, 1, 4, 6]);
  });

  it("is null without exactly four numbers", () => {
    expect(parseGame24Numbers("4 5 6")).toBeNull();
    expect(parseGame24Numbers("Input: 4 5 6 10 11")).toBeNull();
    expect(parseGame24Numbers("Input: 4 5 6 x")).toBeNull();
    expect(parseGame24Numbers("How many marbles are left in sim puzzle 42?")).toBeNull();
  });
});

describe("Game-of-24 answers", () => {
  it("extracts the expression left of the final '= 24' from a real trace", () => {
    const trace = "Steps:\n10 - 4 = 6 (left: 5 6 6)\n6 * 5 = 30 (left: 6 30)\n30 - 6 = 24 (left: 24)\nAnswer: (10 - 4) * 5 - 6 = 24";
    expect(extractAnswer(trace, "game24")).toBe("(10 - 4) * 5 - 6");
    expect(answerKey(trace, "game24")).toBe("(10 - 4) * 5 - 6");
  });

  it("gives no answer for the corpus's ways of saying there is none", () => {
    for (const line of [
      "Answer: None",
      "Answer: Not possible",
      "Answer: There is no solution for this input.",
      "Answer: Not possible to obtain 24",
      "Answer: (9 - 9) * (9 - 9) != 24",
      "Answer: (6 / 6) * (9 - 4) = 5 (incorrect)",
    ]) {
      expect(extractAnswer(`Steps:\n10 - 4 = 6 (left: 5 6 6)\n${line}`, "game24"), line).toBeNull();
    }
    const noAnswerLine = "Steps:\n11 - 5 = 6 (left: 2 6 8)\n8 - 6 = 2 (left: 2 2)\n2 * 2 = 4 (left: 4)\nNo solution found.";
    expect(extractAnswer(noAnswerLine, "game24")).toBeNull();
    expect(normaliseAnswer("None", "game24")).toBeNull();
  });

  it("normalises expressions to canonical spacing", () => {
    expect(normaliseAnswer("(8 - 4)  *  6", "game24")).toBe("(8 - 4) * 6");
    expect(normaliseAnswer("(8-4)×6 = 24", "game24")).toBe("(8 - 4) * 6");
    expect(normaliseAnswer("((10-4)/6)*5", "game24")).toBe("((10 - 4) / 6) * 5");
  });

  it("counts any two correct expressions as the same answer, and wrong ones by their text", () => {
    const a = normaliseAnswer("(10 - 4) * 5 - 6", "game24")!;
    const b = normaliseAnswer("(5 * 6) - (10 - 4)", "game24")!;
    const wrong = normaliseAnswer("(10 - 4) * (6 / 5)", "game24")!;
    const options = { numbers: PUZZLE };
    expect(answersEquivalent(a, b, "game24", options)).toBe(true);
    expect(answersEquivalent(a, wrong, "game24", options)).toBe(false);
    expect(answersEquivalent(wrong, normaliseAnswer("(10-4)*(6/5)", "game24")!, "game24", options)).toBe(true);
    expect(answersEquivalent(wrong, normaliseAnswer("(10 - 4) * 6 / 5", "game24")!, "game24", options)).toBe(false);
  });

  it("without the puzzle's numbers, equates solutions that use the same four numbers", () => {
    const a = normaliseAnswer("(10 - 4) * 5 - 6", "game24")!;
    const b = normaliseAnswer("(4 * 5) + (10 - 6)", "game24")!;
    expect(answersEquivalent(a, b, "game24")).toBe(true);
    expect(answersEquivalent(a, normaliseAnswer("(11 - 5) / 2 * 8", "game24")!, "game24")).toBe(false);
    expect(answersEquivalent(a, normaliseAnswer("(6 - 4) * 5", "game24")!, "game24")).toBe(false);
  });

  it("tallies every correct expression of a puzzle in one group shown as the first", () => {
    const tally = new VoteTally({ format: "game24", numbers: PUZZLE });
    const answers = ["(6 - 4) * 5", "(10 - 4) * 5 - 6", "(10 - 6) * 5 + 4", "(6 - 4) * 5", "(4 * 5) + (10 - 6)", null];
    answers.forEach((answer, branch) => tally.add(branch, answer === null ? null : normaliseAnswer(answer, "game24")));
    expect(tally.votes()).toEqual([
      { answer: "(10 - 4) * 5 - 6", count: 3, weight: 3 },
      { answer: "(6 - 4) * 5", count: 2, weight: 2 },
    ]);
  });
});
