/**
 * `math` answers: LaTeX clean-up and symbolic equivalence. Strings marked "qwen" are answers from
 * qwen25-math-cot-maj8.jsonl (Qwen2.5-Math responses, their `pred` and `gt`); "math500" ones are
 * MATH-500 gold answers (math500.jsonl), as written there.
 */
import { describe, expect, it } from "vitest";
import { answerKey, answersEquivalent, extractAnswer, normaliseAnswer } from "../src/answer.js";

const key = (raw: string): string => {
  const k = normaliseAnswer(raw, "math");
  if (k === null) throw new Error(`no key for ${raw}`);
  return k;
};
const same = (a: string, b: string): boolean => answersEquivalent(key(a), key(b), "math");

describe("math normalisation", () => {
  it("strips LaTeX noise", () => {
    expect(key("\\!5\\,0\\;")).toBe("50");
    expect(key("$\\$18$")).toBe("18");
    expect(key("\\text{Evelyn}")).toBe("Evelyn"); // math500
    expect(key("\\textbf{(C)}")).toBe("(C)");
    expect(key("\\mbox{5 cm}")).toBe("5");
    expect(key("90^\\circ")).toBe("90"); // math500
    expect(key("124^{\\circ}")).toBe("124");
    expect(key("5\\text{ cm}^2")).toBe("5");
    expect(key("42 \\text{ inches}")).toBe("42");
    expect(key("18 dollars")).toBe("18");
    expect(key("12 square units")).toBe("12");
    expect(key("10\\%")).toBe("10");
    expect(key("\\left( 3, \\frac{\\pi}{2} \\right)")).toBe("(3,\\frac{\\pi}{2})"); // math500
    expect(key("\\dfrac{14}{3}")).toBe("14/3");
    expect(key("\\tfrac{\\sqrt{3}}{3}")).toBe("\\frac{\\sqrt{3}}{3}");
    expect(key("\\displaystyle \\frac{x}{2}")).toBe("\\frac{x}{2}");
    expect(key("5.")).toBe("5");
    expect(key("x = 5")).toBe("5"); // math500: \boxed{x=5}
    expect(key("\\theta = \\frac{\\pi}{2}")).toBe("\\frac{\\pi}{2}");
  });

  it("reads LaTeX thousands separators as one number", () => {
    expect(key("10{,}000")).toBe("10000"); // qwen gt of problem 72
    expect(key("11,\\! 111,\\! 111,\\! 100")).toBe("11111111100"); // math500
    expect(key("10\\,000")).toBe("10000");
    expect(key("1,000")).toBe("1000");
  });

  it("keeps what is not noise", () => {
    expect(key("x^2+2x+1")).toBe("x^2+2x+1");
    expect(key("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}")).toBe("\\begin{pmatrix}1\\\\2\\end{pmatrix}");
    expect(key("x \\le 3")).toBe("x\\le3");
    expect(key("2 m")).toBe("2m"); // a single letter is a variable, not metres
    expect(normaliseAnswer("$ $", "math")).toBeNull();
  });
});

describe("math equivalence", () => {
  it("equates forms of one number", () => {
    expect(same("\\frac{1}{2}", "0.5")).toBe(true);
    expect(same("\\frac12", "1/2")).toBe(true);
    expect(same("2\\sqrt2", "\\sqrt8")).toBe(true);
    expect(same("2\\sqrt{2}", "\\sqrt{8}")).toBe(true);
    expect(same("\\frac{\\sqrt{3}}{2}", "\\sqrt3/2")).toBe(true);
    expect(same("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}")).toBe(true); // math500: 3/\sqrt{27} = \sqrt3/3
    expect(same("3\\sqrt{13}", "\\sqrt{117}")).toBe(true); // math500 trace: \sqrt{117} = \boxed{3\sqrt{13}}
    expect(same("\\frac{\\pi}{4}", "\\pi/4")).toBe(true);
    expect(same("2\\pi", "6.283185307179586")).toBe(true);
    expect(same("0.\\overline{3}", "\\frac{1}{3}")).toBe(true);
    expect(same("6 - 5i", "6-5i")).toBe(true); // math500
    expect(same("\\infty", "infinity")).toBe(true);
  });

  it("equates the qwen corpus's forms that agree", () => {
    // The response boxes "12 \frac{3}{5}", the source's pred writes "12\frac{3}{5}": a mixed number.
    expect(same("12 \\frac{3}{5}", "12\\frac{3}{5}")).toBe(true);
    expect(same("12\\frac{3}{5}", "\\frac{63}{5}")).toBe(true);
    expect(same("1 \\frac{1}{4}", "1.25")).toBe(true);
    // Two preds of problem 72 that the source keeps apart: the same value written two ways.
    expect(same("9999 \\frac{6}{7}", "9999.857142857143")).toBe(true);
    // Problem 72's gold "10{,}000" and a response's "10000": equal, though the source scored it wrong.
    expect(same("10{,}000", "10000")).toBe(true);
    expect(same("\\sqrt{34} + 3\\sqrt{10}", "3\\sqrt{10}+\\sqrt{34}")).toBe(true);
    expect(same("4a-2", "2(2a-1)")).toBe(true); // qwen gt of problem 22, rewritten
  });

  it("keeps apart answers that look alike but differ", () => {
    // Preds of one qwen problem each: all wrong but one.
    expect(same("\\frac{3}{8}", "\\frac{3}{16}")).toBe(false);
    expect(same("9999.857142857143", "9998.57142857143")).toBe(false);
    expect(same("12.5", "13")).toBe(false);
    expect(same("22.22", "\\frac{200}{9}")).toBe(false); // rounded is not exact
    expect(same("\\sqrt{34}+3\\sqrt{10}", "28")).toBe(false);
    expect(same("3.14159", "\\pi")).toBe(false);
    expect(same("2^{2009}", "2^{2010}")).toBe(false); // both overflow a double
    expect(same("2^{2009}", "2^{2009}\\cdot 1")).toBe(true);
    expect(same("x^2+y^2=1", "y^2+x^2=1")).toBe(true);
    expect(same("x^2+y^2=1", "x^2+y^2=2")).toBe(false);
    expect(same("\\infty", "-\\infty")).toBe(false);
    expect(same("4a-2", "4a+2")).toBe(false);
    expect(same("4a-2", "4b-2")).toBe(false);
    expect(same("12\\frac{3}{5}", "\\frac{36}{5}")).toBe(false); // mixed number, not 12·3/5
    expect(same("4210_{5}", "555")).toBe(false); // math500: a base-5 numeral is its digits
  });

  it("compares tuples and intervals element-wise with matching brackets", () => {
    expect(same("(1, 2)", "\\left(1,\\frac{4}{2}\\right)")).toBe(true);
    expect(same("(15,-29)", "(15, -29)")).toBe(true); // math500
    expect(same("(3, \\frac{\\pi}{2})", "\\left( 3, \\frac{\\pi}{2} \\right)")).toBe(true);
    expect(same("(1, 2)", "(2, 1)")).toBe(false);
    expect(same("(1, 2)", "(1, 2, 3)")).toBe(false);
    expect(same("[0, 1)", "[0,1)")).toBe(true);
    expect(same("[0, 1)", "(0, 1)")).toBe(false);
    expect(same("[0, 1)", "[0, 1]")).toBe(false);
    expect(same("(-\\infty, 3] \\cup [5, \\infty)", "[5,\\infty)\\cup(-\\infty,3]")).toBe(true);
  });

  it("compares sets and bare lists of solutions in any order", () => {
    expect(same("\\{1,2\\}", "\\{2, 1\\}")).toBe(true);
    expect(same("\\{1,2\\}", "\\{1, 3\\}")).toBe(false);
    expect(same("\\{1,1,2\\}", "\\{1,2,2\\}")).toBe(false);
    expect(same("1,-2", "-2, 1")).toBe(true); // math500: n = \boxed{1,-2}
    expect(same("\\{1,2\\}", "(1,2)")).toBe(false);
  });

  it("compares words and unreadable answers as text", () => {
    expect(same("\\text{Evelyn}", "evelyn")).toBe(true);
    expect(same("Evelyn", "Evelny")).toBe(false); // not a product of variables
    expect(same("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}")).toBe(true);
    expect(same("x \\le 3", "x\\le 3")).toBe(true);
    expect(same("x \\le 3", "x \\le 4")).toBe(false);
  });

  it("does not hand the engine what it could hang on", () => {
    const start = performance.now();
    expect(same("\\sum_{n=1}^{1000000000} n", "500000000500000000")).toBe(false);
    expect(same("100000!", "100001!")).toBe(false);
    expect(same("9^{9^{9}}", "9^{9^{9}}+1")).toBe(false);
    expect(same("99999^{99999}+1", "99999^{99999}+1")).toBe(true);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe("math extraction", () => {
  it("reads \\boxed and \\fbox with nested braces, taking the last", () => {
    const response = "so \\(\\boxed{\\frac{3}{16}}\\) is wrong; therefore the probability is \\(\\boxed{\\frac{3}{8}}\\).";
    expect(extractAnswer(response, "math")).toBe("\\frac{3}{8}");
    expect(extractAnswer("so $\\fbox{\\sqrt{2}}$", "math")).toBe("\\sqrt{2}");
    expect(extractAnswer("thus \\boxed 5 is it", "math")).toBe("5");
    expect(answerKey("The answer is $\\boxed{\\dfrac{14}{3}}$.", "math")).toBe("14/3");
  });

  it("falls back to 'the answer is', then 'Answer:', then the last number", () => {
    expect(extractAnswer("We get $x = 3$. The answer is $\\frac{1}{2}$.", "math")).toBe("$\\frac{1}{2}$");
    expect(answerKey("Answer: $x = 7$", "math")).toBe("7");
    expect(extractAnswer("so 3 + 4 = 7", "math")).toBe("7");
    expect(extractAnswer("I cannot tell", "math")).toBeNull();
  });
});
