/**
 * Answer extraction against arbitrary and hostile traces (fast-check): it never throws, and a 64 KiB
 * trace built to make regular expressions backtrack is read in bounded time. The bound is loose on
 * purpose (seconds, against a normal ~1 ms): it catches catastrophic backtracking, which takes
 * minutes, not a slow machine.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { answerKey, extractAnswer } from "../src/answer.js";
import type { AnswerFormatName } from "../src/types.js";

const formats: AnswerFormatName[] = ["text", "number", "math", "choice", "date", "game24"];
const size = 64 * 1024;
/** A string of `size` characters repeating `unit`. */
const fill = (unit: string, end = "") => unit.repeat(Math.ceil((size - end.length) / unit.length)).slice(0, size - end.length) + end;

/** Inputs that defeat naive patterns: unclosed and nested boxes, endless markers, digit runs, lone letters. */
const hostile: Record<string, string> = {
  "unclosed boxes": fill("\\boxed{"),
  "nested boxes": "\\boxed{".repeat(size / 16) + "}".repeat(size / 16),
  "answer is, on one line": fill("the answer is "),
  "answer: lines": fill("Answer: 1\n"),
  "digit run": fill("9"),
  "thousands separators": fill("1,000,"),
  "decimals and exponents": fill("1.5e-"),
  "dates almost": fill("12/31/20"),
  "lone letters": fill("(A) B\n"),
  stars: fill("*"),
  "spaces then a marker": fill(" ", "answer is 5."),
  braces: fill("{}{"),
  "equals signs": fill("(1 + 2) * 3 = "),
  backslashes: fill("\\"),
};

describe("answer extraction under hostile input", () => {
  it("never throws, on any text in any format", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 2_000 }), fc.constantFrom(...formats), (trace, format) => {
        const raw = extractAnswer(trace, format);
        expect(raw === null || typeof raw === "string").toBe(true);
        const key = answerKey(trace, format);
        expect(key === null || typeof key === "string").toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it("never throws on texts made of the markers it looks for", () => {
    const piece = fc.constantFrom(
      "\\boxed{",
      "}",
      "{",
      "answer is ",
      "Answer:",
      "\n",
      " ",
      ".",
      "1",
      "-",
      ",",
      "(A)",
      "B",
      "/",
      "2021",
      "=",
      "*",
      "e5",
      "$",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 400 }), fc.constantFrom(...formats), (pieces, format) => {
        const trace = pieces.join("");
        extractAnswer(trace, format);
        answerKey(trace, format);
      }),
      { numRuns: 2_000 },
    );
  });

  it.each(Object.entries(hostile))("reads a 64 KiB trace of %s in bounded time, in every format", (_name, trace) => {
    for (const format of formats) {
      const started = performance.now();
      answerKey(trace, format);
      expect(performance.now() - started).toBeLessThan(2_000);
    }
  });
});
