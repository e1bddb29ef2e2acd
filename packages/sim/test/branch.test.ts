import { describe, expect, it } from "vitest";
import { defaultSimOptions, planBranch, planProblem, renderTrace, syntheticDisclaimer } from "../src/mod.js";

const prompt = "A train leaves at 3pm going 60 km/h; how far has it gone by 7pm?";
const unlimited = Number.POSITIVE_INFINITY;
const seeds = Array.from({ length: 2000 }, (_, i) => i);

describe("planBranch", () => {
  it("is deterministic in prompt and seed", () => {
    expect(planBranch(prompt, 42, unlimited)).toEqual(planBranch(prompt, 42, unlimited));
  });

  it("plans exactly what it planned before its randomness moved to @ttc/stats (pinned from the old code)", () => {
    const marbles = "How many marbles are left in sim puzzle 42?";
    expect(planProblem(marbles, 4)).toEqual({ truth: 805, wrong: [809, 795, 796, 803] });
    const branch = planBranch(marbles, 42, 400);
    expect({ correct: branch.correct, answer: branch.answer, tokens: branch.tokens.length }).toEqual({
      correct: true,
      answer: "805",
      tokens: 400,
    });
    expect(branch.tokens.slice(0, 3).map((t) => t.logprob)).toEqual([-0.12668627166422083, -0.17357700575375928, -0.17246440617600456]);
  });

  it("gives different seeds different paths", () => {
    const traces = new Set([1, 2, 3, 4, 5].map((seed) => renderTrace(planBranch(prompt, seed, unlimited).tokens)));
    expect(traces.size).toBe(5);
  });

  it("lets the prompt alone decide the truth", () => {
    const truths = new Set(seeds.slice(0, 50).map((seed) => planBranch(prompt, seed, unlimited).truth));
    expect([...truths]).toEqual([String(planProblem(prompt, defaultSimOptions.wrongAnswers).truth)]);
    expect(planBranch("another prompt", 1, unlimited).truth).not.toBe(planBranch(prompt, 1, unlimited).truth);
  });

  it("renders a trace that says it is synthetic and boxes the answer", () => {
    for (const seed of seeds.slice(0, 100)) {
      const branch = planBranch(prompt, seed, unlimited);
      const trace = renderTrace(branch.tokens);
      expect(trace.startsWith(`${syntheticDisclaimer}\n`)).toBe(true);
      expect(trace.endsWith(`The answer is \\boxed{${branch.answer}}.`)).toBe(true);
      expect(branch.truncated).toBe(false);
      expect(branch.correct).toBe(branch.answer === branch.truth);
    }
  });

  it("keeps each token's whitespace so the texts join back exactly", () => {
    const { tokens } = planBranch(prompt, 7, unlimited);
    const trace = renderTrace(tokens);
    expect(tokens.every((token) => token.text.trim().length > 0 && !/\s/.test(token.text.trim()))).toBe(true);
    expect(trace.split(/\s+/).length).toBe(tokens.length);
  });

  it("reaches the right answer at about pCorrect", () => {
    for (const pCorrect of [0.6, 0.3]) {
      const correct = seeds.filter((seed) => planBranch(prompt, seed, unlimited, { pCorrect }).correct).length;
      expect(Math.abs(correct / seeds.length - pCorrect)).toBeLessThan(0.04);
    }
  });

  it("samples lengths with mean about meanTokens", () => {
    for (const meanTokens of [300, 120]) {
      const total = seeds.reduce((sum, seed) => sum + planBranch(prompt, seed, unlimited, { meanTokens }).tokens.length, 0);
      expect(Math.abs(total / seeds.length / meanTokens - 1)).toBeLessThan(0.15);
    }
  });

  it("never goes below the minimum length", () => {
    const shortest = Math.min(...seeds.slice(0, 300).map((seed) => planBranch(prompt, seed, unlimited, { meanTokens: 10 }).tokens.length));
    expect(shortest).toBeGreaterThanOrEqual(40);
  });

  it("draws wrong answers from the configured set, the first most often", () => {
    const problem = planProblem(prompt, 3);
    expect(problem.wrong).toHaveLength(3);
    expect(new Set(problem.wrong).size).toBe(3);
    expect(problem.wrong).not.toContain(problem.truth);
    const counts = new Map<string, number>();
    for (const seed of seeds) {
      const branch = planBranch(prompt, seed, unlimited, { wrongAnswers: 3, pCorrect: 0.2 });
      if (!branch.correct) counts.set(branch.answer, (counts.get(branch.answer) ?? 0) + 1);
    }
    const allowed = problem.wrong.map(String);
    expect([...counts.keys()].every((answer) => allowed.includes(answer))).toBe(true);
    expect(counts.get(allowed[0]!)! > counts.get(allowed[2]!)!).toBe(true);
  });

  it("slips only on wrong branches, at about pSlip of them", () => {
    const branches = seeds.map((seed) => planBranch(prompt, seed, unlimited, { pSlip: 0.5 }));
    const wrong = branches.filter((branch) => !branch.correct);
    expect(branches.some((branch) => branch.correct && branch.slip)).toBe(false);
    expect(Math.abs(wrong.filter((branch) => branch.slip).length / wrong.length - 0.5)).toBeLessThan(0.05);
  });

  it("cuts the tokens at maxTokens", () => {
    const full = planBranch(prompt, 3, unlimited);
    const cut = planBranch(prompt, 3, 25);
    expect(cut.tokens).toEqual(full.tokens.slice(0, 25));
    expect(cut.truncated).toBe(true);
    expect(cut.answer).toBe(full.answer);
    expect(renderTrace(cut.tokens)).not.toContain("\\boxed");
    expect(planBranch(prompt, 3, 0).tokens).toEqual([]);
    const exact = planBranch(prompt, 3, full.tokens.length);
    expect(exact.truncated).toBe(false);
    expect(exact.tokens).toEqual(full.tokens);
  });

  it("marks stepEnd on exactly the last token of each Step line", () => {
    for (const seed of seeds.slice(0, 50)) {
      const { tokens } = planBranch(prompt, seed, unlimited);
      const lines = renderTrace(tokens).split("\n");
      const stepLines = lines.filter((line) => /^Step \d+: /.test(line));
      expect(tokens.filter((token) => token.stepEnd)).toHaveLength(stepLines.length);
      let line = "";
      for (const token of tokens) {
        line += token.text;
        if (token.text.endsWith("\n")) {
          expect(token.stepEnd).toBe(line.startsWith("Step "));
          line = "";
        } else {
          expect(token.stepEnd).toBe(false);
        }
      }
    }
  });

  it("writes steps as a walk of + - × equations ending on the answer", () => {
    for (const seed of seeds.slice(0, 200)) {
      const branch = planBranch(prompt, seed, unlimited);
      const steps = [...renderTrace(branch.tokens).matchAll(/^Step (\d+): (\d+) ([-+×]) (\d+) = (\d+)\./gm)];
      expect(steps.length).toBeGreaterThanOrEqual(3);
      steps.forEach((step, i) => {
        expect(Number(step[1])).toBe(i + 1);
        if (i > 0) expect(step[2]).toBe(steps[i - 1]![5]); // each step starts from the last stated value
      });
      expect(steps.at(-1)![5]).toBe(branch.answer);
    }
  });

  it("gives wrong branches lower log-probabilities, all in -2..0", () => {
    const branches = seeds.slice(0, 300).map((seed) => planBranch(prompt, seed, unlimited));
    const logprobs = (correct: boolean): number[] =>
      branches.filter((b) => b.correct === correct).flatMap((b) => b.tokens.map((t) => t.logprob));
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    const [right, wrong] = [logprobs(true), logprobs(false)];
    expect(Math.max(...right, ...wrong)).toBeLessThanOrEqual(0);
    expect(Math.min(...right, ...wrong)).toBeGreaterThanOrEqual(-2);
    expect(mean(right)).toBeGreaterThan(-0.2);
    expect(mean(right)).toBeGreaterThan(mean(wrong));
  });

  it("rejects bad settings", () => {
    expect(() => planBranch(prompt, 1, -1)).toThrow(RangeError);
    expect(() => planBranch(prompt, 1, 100, { pCorrect: 1.5 })).toThrow(/pCorrect/);
    expect(() => planBranch(prompt, 1, 100, { wrongAnswers: 0 })).toThrow(/wrongAnswers/);
    expect(() => planBranch(prompt, 1, 100, { meanTokens: Number.NaN })).toThrow(/meanTokens/);
  });
});
