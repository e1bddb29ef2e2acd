import { describe, it, expect } from "vitest";
import { answerKey, answersEquivalent, extractAnswer, normaliseAnswer } from "../src/answer.js";

describe("extractAnswer", () => {
  it("takes the last \\boxed{...}, with nested braces", () => {
    const trace = "First try \\boxed{3}. Better: $\\boxed{\\frac{1}{\\sqrt{2}}}$ and that is final.";
    expect(extractAnswer(trace, "math")).toBe("\\frac{1}{\\sqrt{2}}");
  });

  it("skips an unclosed or empty \\boxed and falls back to the previous one", () => {
    expect(extractAnswer("so \\boxed{7} then \\boxed{}", "number")).toBe("7");
    expect(extractAnswer("so \\boxed{7} then \\boxed{8", "number")).toBe("7");
  });

  it("prefers \\boxed over 'the answer is' and 'Answer:'", () => {
    expect(extractAnswer("The answer is 5.\nAnswer: 6\n\\boxed{4} hmm", "number")).toBe("4");
  });

  it("reads the last 'the answer is X' up to the end of its sentence", () => {
    expect(extractAnswer("The answer is 04/05/2021.", "date")).toBe("04/05/2021");
    expect(extractAnswer("I guessed the answer is Rome. No: THE ANSWER IS Paris. Done.", "text")).toBe("Paris");
    expect(extractAnswer("So the final answer is: **3.14**\nok", "number")).toBe("3.14");
  });

  it("does not read 'the answer isn't' as a marker", () => {
    expect(extractAnswer("the answer isn't clear", "text")).toBeNull();
  });

  it("reads the last 'Answer: X' line", () => {
    const trace = "Answer: 10\nchecking...\n**Answer:** 12.\nbye";
    expect(extractAnswer(trace, "number")).toBe("12");
    expect(extractAnswer("work\nFinal answer: (8 - 4) * 6", "game24")).toBe("(8 - 4) * 6");
  });

  it("falls back to the last number for number and math formats only", () => {
    const trace = "3 apples plus 1,000 pears, minus 2.5 kg gives 1,002.5 items";
    expect(extractAnswer(trace, "number")).toBe("1,002.5");
    expect(extractAnswer("x went from 3-4 to -7", "math")).toBe("-7");
    expect(extractAnswer("x went from 3 to 7", "text")).toBeNull();
    expect(extractAnswer("x went from 3 to 7", "date")).toBeNull();
  });

  it("reduces a marked number answer to its number", () => {
    expect(extractAnswer("The answer is 18 dollars.", "number")).toBe("18");
    expect(extractAnswer("The answer is $1,000.", "number")).toBe("$1,000");
    expect(extractAnswer("The answer is 1e3.", "number")).toBe("1e3");
  });

  it("reads a lone option letter for choice", () => {
    expect(extractAnswer("Looking at the options, (C) fits best.", "choice")).toBe("C");
    expect(extractAnswer("so the answer is B because it is later", "choice")).toBe("B");
    expect(extractAnswer("The answer is (d) 04/05/2021.", "choice")).toBe("D");
    expect(extractAnswer("reasoning...\nE\n", "choice")).toBe("E");
    expect(extractAnswer("\\boxed{A}", "choice")).toBe("A");
  });

  it("does not take a capital word for a choice letter", () => {
    expect(extractAnswer("A cat sat on the mat", "choice")).toBeNull();
    expect(extractAnswer("the answer is Bob", "choice")).toBeNull();
  });

  it("reads \\fbox like \\boxed", () => {
    expect(extractAnswer("first \\boxed{3}, then \\fbox{12}", "number")).toBe("12");
  });

  it("reads the date of a real date trace, zero-padding M/D/YYYY", () => {
    // faithful-cot-date-n40: completions end "So the answer is MM/DD/YYYY.", some unpadded.
    const trace =
      "\nQ1. What is the date today?\nFinal Answer: What is the date today in MM/DD/YYYY?\nToday is 6/18/2019. So the answer is 6/18/2019.\n\n";
    expect(answerKey(trace, "date")).toBe("06/18/2019");
    expect(extractAnswer("So the answer is 05/01/2021 (May 1st).", "date")).toBe("05/01/2021");
    // A date off the calendar is no answer: the corpus has "So the answer is 02/29/2015."
    expect(answerKey("One year ago from today is 02/29/2015. So the answer is 02/29/2015.", "date")).toBeNull();
    // Without "answer is", the "Final Answer:" line holds the question, not a date.
    expect(answerKey("Final Answer: What is the date today in MM/DD/YYYY?\nToday is 05/01/2021.", "date")).toBeNull();
  });

  it("returns null when nothing fits", () => {
    expect(extractAnswer("I am not sure at all", "text")).toBeNull();
    expect(extractAnswer("no digits here", "number")).toBeNull();
    expect(extractAnswer("", "math")).toBeNull();
    expect(extractAnswer("no option (F) here", "choice")).toBeNull();
  });
});

describe("normaliseAnswer", () => {
  it("canonicalises numbers", () => {
    expect(normaliseAnswer("1,000", "number")).toBe("1000");
    expect(normaliseAnswer("1000.0", "number")).toBe("1000");
    expect(normaliseAnswer("2.50", "number")).toBe("2.5");
    expect(normaliseAnswer("-0", "number")).toBe("0");
    expect(normaliseAnswer("1e3", "number")).toBe("1000");
    expect(normaliseAnswer(" $-12,345.50$. ", "number")).toBe("-12345.5");
    expect(normaliseAnswer("+.5", "number")).toBe("0.5");
  });

  it("drops a currency sign and a percent sign", () => {
    // Chosen: "18%" is 18, as GSM8K-style keys give the bare number for a percentage question.
    expect(normaliseAnswer("$18", "number")).toBe("18");
    expect(normaliseAnswer("\\$18.00", "number")).toBe("18");
    expect(normaliseAnswer("-$5", "number")).toBe("-5");
    expect(normaliseAnswer("€1,200", "number")).toBe("1200");
    expect(normaliseAnswer("18%", "number")).toBe("18");
    expect(normaliseAnswer("18\\%", "number")).toBe("18");
  });

  it("rejects what is not a number", () => {
    for (const raw of ["twelve", "1,00", "3, 4", "0x10", "Infinity", "1e400", "", "$ $", "5 apples"]) {
      expect(normaliseAnswer(raw, "number"), raw).toBeNull();
    }
  });

  it("gives equal keys to \\dfrac{1}{2}, \\frac{2}{4} and 1/2", () => {
    expect(normaliseAnswer("$\\dfrac{1}{2}$", "math")).toBe("1/2");
    expect(normaliseAnswer("\\frac{2}{4}", "math")).toBe("1/2");
    expect(normaliseAnswer("\\tfrac{ 3 }{ 6 }", "math")).toBe("1/2");
    expect(normaliseAnswer("2/4", "math")).toBe("1/2");
  });

  it("reduces integer fractions with signs, and to an integer when the denominator divides", () => {
    expect(normaliseAnswer("-\\frac{6}{4}", "math")).toBe("-3/2");
    expect(normaliseAnswer("\\frac{6}{-4}", "math")).toBe("-3/2");
    expect(normaliseAnswer("\\frac{8}{4}", "math")).toBe("2");
    expect(normaliseAnswer("\\frac{0}{7}", "math")).toBe("0");
    expect(normaliseAnswer("\\frac{1}{0}", "math")).toBe("\\frac{1}{0}");
    // Two signs (one before \frac, one inside) used to throw while building "--10" for BigInt.
    expect(normaliseAnswer("-\\frac{-10}{4}", "math")).toBe("5/2");
    expect(normaliseAnswer("-\\frac{+10}{-4}", "math")).toBe("5/2");
  });

  it("strips LaTeX spacing, sizing and \\text, and canonicalises plain numbers", () => {
    expect(normaliseAnswer("\\left( 1 ,\\! 2 \\right)", "math")).toBe("(1,2)");
    expect(normaliseAnswer("\\text{10\\,000}", "math")).toBe("10000");
    expect(normaliseAnswer("1000.0", "math")).toBe("1000");
    expect(normaliseAnswer("\\text{{a}b} + 1", "math")).toBe("{a}b+1");
    expect(normaliseAnswer("x \\rightarrow \\infty", "math")).toBe("x\\rightarrow\\infty");
    expect(normaliseAnswer("\\sqrt{2}", "math")).toBe("\\sqrt{2}");
  });

  it("zero-pads valid dates and rejects invalid ones", () => {
    expect(normaliseAnswer("4/5/2021", "date")).toBe("04/05/2021");
    expect(normaliseAnswer("04/05/2021.", "date")).toBe("04/05/2021");
    expect(normaliseAnswer("2/29/2024", "date")).toBe("02/29/2024");
    for (const raw of ["2/29/2023", "2/29/1900", "13/01/2021", "04/31/2021", "0/10/2021", "2021-04-05", "4/5/21"]) {
      expect(normaliseAnswer(raw, "date"), raw).toBeNull();
    }
  });

  it("reads choices as one uppercase letter", () => {
    expect(normaliseAnswer("(C)", "choice")).toBe("C");
    expect(normaliseAnswer("c", "choice")).toBe("C");
    expect(normaliseAnswer("B)", "choice")).toBe("B");
    expect(normaliseAnswer("(B) 04/05/2021", "choice")).toBe("B");
    expect(normaliseAnswer("Bob", "choice")).toBeNull();
    expect(normaliseAnswer("(AB)", "choice")).toBeNull();
    expect(normaliseAnswer("the answer is B", "choice")).toBe("B");
    expect(normaliseAnswer("Option (d)", "choice")).toBe("D");
    expect(normaliseAnswer("E.", "choice")).toBe("E");
    expect(normaliseAnswer("(F)", "choice")).toBeNull();
    expect(normaliseAnswer("a cat", "choice")).toBeNull();
  });

  it("lower-cases, collapses whitespace and drops trailing punctuation for text", () => {
    expect(normaliseAnswer("  The   Eiffel\nTower. ", "text")).toBe("the eiffel tower");
    expect(normaliseAnswer("Paris!", "text")).toBe("paris");
    expect(normaliseAnswer('"Paris",', "text")).toBe("paris");
    expect(normaliseAnswer("**Paris**", "text")).toBe("paris");
    expect(normaliseAnswer("St. Louis", "text")).toBe("st. louis");
    expect(normaliseAnswer("(8 - 4)  *  6", "game24")).toBe("(8 - 4) * 6");
    expect(normaliseAnswer("  .  ", "text")).toBeNull();
  });

  it("is idempotent on its own keys", () => {
    const cases = [
      ["1,000", "number"],
      ["\\dfrac{6}{4}", "math"],
      ["\\left(1, 2\\right)", "math"],
      ["4/5/2021", "date"],
      ["(c)", "choice"],
      ["Hello  World", "text"],
    ] as const;
    for (const [raw, format] of cases) {
      const key = normaliseAnswer(raw, format);
      expect(key).not.toBeNull();
      expect(normaliseAnswer(key!, format)).toBe(key);
    }
  });
});

describe("answersEquivalent", () => {
  it("compares number, date, choice and text keys as strings, since their keys are canonical", () => {
    const eq = (a: string, b: string, format: "number" | "date" | "choice" | "text") =>
      answersEquivalent(normaliseAnswer(a, format)!, normaliseAnswer(b, format)!, format);
    expect(eq("1,000", "1e3", "number")).toBe(true);
    expect(eq("1000.0", "$1000", "number")).toBe(true);
    expect(eq("1000", "1001", "number")).toBe(false);
    expect(eq("5/1/2021", "05/01/2021", "date")).toBe(true);
    expect(eq("05/01/2021", "01/05/2021", "date")).toBe(false);
    expect(eq("(B)", "the answer is B", "choice")).toBe(true);
    expect(eq("B)", "C", "choice")).toBe(false);
    expect(eq("The Eiffel  Tower.", "the eiffel tower", "text")).toBe(true);
    expect(eq("Paris", "Paris, France", "text")).toBe(false);
  });
});

describe("answerKey", () => {
  it("normalises the extracted answer", () => {
    expect(answerKey("The answer is 04/05/2021.", "date")).toBe("04/05/2021");
    expect(answerKey("so we get 1,000 in total", "number")).toBe(answerKey("\\boxed{1000.0}", "number"));
    expect(answerKey("\\boxed{\\dfrac{1}{2}}", "math")).toBe(answerKey("Answer: \\frac{2}{4}", "math"));
    expect(answerKey("I pick (C).", "choice")).toBe("C");
  });

  it("is null when nothing is extracted or the extraction is not a valid answer", () => {
    expect(answerKey("no marker here", "text")).toBeNull();
    expect(answerKey("The answer is 02/30/2021.", "date")).toBeNull();
    expect(answerKey("The answer is twelve.", "number")).toBeNull();
  });
});
