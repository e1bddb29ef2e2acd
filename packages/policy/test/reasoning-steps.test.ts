/**
 * The one definition of a reasoning step: the whole-text split (recorded step scores, replay, token
 * apportioning), the streaming cutter (worker chunks) and the steps a verifier scores.
 */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "@ttc/stats";
import {
  completedStepCount,
  completedSteps,
  countCompletedSteps,
  noStepsCounted,
  splitSteps,
  StepBoundaries,
} from "../src/reasoning-steps.js";

/** The chunks a streaming worker cuts `pieces` into. */
function cut(pieces: readonly string[], boundaries = new StepBoundaries()): string[] {
  const out: string[] = [];
  let current = "";
  for (const p of pieces) {
    current += p;
    if (boundaries.feed(p)) {
      out.push(current);
      current = "";
    }
  }
  if (current) out.push(current);
  return out;
}

/** Texts of a, b, spaces, tabs, \r and newlines, every one up to `length`. */
function* texts(length: number): Generator<string> {
  const atoms = ["a", "b", " ", "\n", "\t", "\r\n"];
  for (let n = 0; n <= length; n++) {
    const digits = new Array<number>(n).fill(0);
    for (;;) {
      yield digits.map((d) => atoms[d]).join("");
      let k = 0;
      while (k < n && ++digits[k]! === atoms.length) digits[k++] = 0;
      if (k === n) break;
    }
  }
}

/** Whether a blank line stands between two non-blank ones. */
const hasParagraphs = (text: string): boolean => /\S[^\n]*\n(?:[^\S\n]*\n)*?[^\S\n]*\n[^\n]*\S/.test(text);

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

describe("StepBoundaries, streaming", () => {
  it("ends a step at each line until the text has paragraphs, then at each paragraph", () => {
    // Streamed, "b" is known to open a paragraph only once the blank line after it arrives.
    const text = "a\nb\n\nc\nd\n\ne";
    expect(cut([...text])).toEqual(["a\n", "b\n", "\nc\nd\n\n", "e"]);
    // whole paragraphs in one piece end there too, and a lone blank line never makes a chunk of its own
    expect(cut(["x.\n\n", "y\n", "z\n\n"])).toEqual(["x.\n\n", "y\nz\n\n"]);
    expect(cut(["x\n", "\n", "y\n", "z\n\n"])).toEqual(["x\n", "\ny\nz\n\n"]);
    expect(cut(["\n", "  \n", "q\n"])).toEqual(["\n  \nq\n"]);
  });

  it("cuts where splitSteps does on every text without paragraphs, fed character by character", () => {
    for (const text of texts(6)) {
      if (hasParagraphs(text)) continue;
      // The streamed chunks are the steps, except that blank lines after the last step wait.
      const steps = splitSteps(text);
      expect(cut([...text]).join(""), JSON.stringify(text)).toBe(text);
      expect(cut([...text]).filter((c) => c.trim() !== "").length, JSON.stringify(text)).toBe(steps.filter((s) => s.trim() !== "").length);
    }
    const text = "We add.\n17 + 25 = 42\nThe answer is 42.";
    expect(cut([...text])).toEqual(splitSteps(text));
  });

  it("with the whole text's paragraphs known, groups lines into the steps splitSteps makes", () => {
    for (const text of texts(6)) {
      const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
      const chunks = cut(lines, new StepBoundaries({ paragraphs: hasParagraphs(text) }));
      // Each chunk holds the content of exactly one step (blank lines may sit on either side of a cut).
      const content = (parts: string[]) => parts.map((p) => p.replace(/\s+/g, " ").trim()).filter((p) => p !== "");
      expect(content(chunks), JSON.stringify(text)).toEqual(content(splitSteps(text)));
    }
  });
});

describe("completedSteps", () => {
  it("keeps a partial trace's last step only once its line has ended", () => {
    expect(completedSteps("a\nb\nc", false)).toEqual(["a\n", "b\n"]);
    expect(completedSteps("a\nb\nc", true)).toEqual(["a\n", "b\n", "c"]);
    expect(completedSteps("a\nb\nc\n", false)).toEqual(["a\n", "b\n", "c\n"]);
    expect(completedSteps("p one\nstill one\n\np two\n\n", false)).toEqual(["p one\nstill one\n\n", "p two\n\n"]);
    expect(completedSteps("", false)).toEqual([]);
    expect(completedSteps(" \n\n", false)).toEqual([]);
    // Whitespace after the last newline starts the next line; the step before it has ended.
    expect(completedSteps("a\nb\n  ", false)).toEqual(["a\n", "b\n  "]);
  });
});

describe("countCompletedSteps", () => {
  /** The count after each piece, read piece by piece. */
  const counts = (pieces: readonly string[]) => {
    let count = noStepsCounted;
    return pieces.map((p) => completedStepCount((count = countCompletedSteps(count, p))));
  };

  it("counts completedSteps of a partial trace, switching to paragraphs when a blank line shows them", () => {
    expect(counts(["a\n", "b\n", "c"])).toEqual([1, 2, 2]);
    // "a\nb\n\n" is two lines; "c" after the blank line makes it one paragraph, then two.
    expect(counts(["a\nb\n\n", "c", "\n"])).toEqual([2, 1, 2]);
    expect(counts([" \n", "\n", "  "])).toEqual([0, 0, 0]);
    expect(counts(["x", "y", " \t", "\r\n"])).toEqual([0, 0, 0, 1]);
  });

  it("equals completedSteps(prefix, false).length after every piece of random text", () => {
    const rng = mulberry32(11);
    const alphabet = ["a", "b c", " ", "\t", "\n", "\n\n", "\r\n", "  \n", "\u2028"];
    for (let n = 0; n < 2000; n++) {
      const pieces = Array.from({ length: 1 + Math.floor(rng() * 12) }, () =>
        Array.from({ length: 1 + Math.floor(rng() * 3) }, () => alphabet[Math.floor(rng() * alphabet.length)]!).join(""),
      );
      const prefixes = pieces.map((_, i) => pieces.slice(0, i + 1).join(""));
      expect(counts(pieces), JSON.stringify(pieces)).toEqual(prefixes.map((t) => completedSteps(t, false).length));
    }
  });
});
