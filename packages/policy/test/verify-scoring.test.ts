import { describe, expect, it } from "vitest";
import { createRecordedVerifier, logistic } from "../src/verify/recorded.js";
import { aggregateStepScores, stepAggregations, stepScoringVerifier, type StepScorer } from "../src/verify/steps.js";
import { createVerifier, type VerifyInput } from "../src/verify/mod.js";

describe("aggregateStepScores", () => {
  it("aggregates by last, min, product and mean", () => {
    const scores = [0.9, 0.5, 0.8];
    expect(aggregateStepScores(scores, "last")).toBe(0.8);
    expect(aggregateStepScores(scores, "min")).toBe(0.5);
    expect(aggregateStepScores(scores, "product")).toBeCloseTo(0.36, 12);
    expect(aggregateStepScores(scores, "mean")).toBeCloseTo(2.2 / 3, 12);
  });

  it("gives 1 for no steps, whatever the aggregation", () => {
    for (const how of stepAggregations) expect(aggregateStepScores([], how)).toBe(1);
  });

  it("clamps each score to 0..1 first, NaN counting as 0", () => {
    expect(aggregateStepScores([1.5, 0.5], "product")).toBe(0.5);
    expect(aggregateStepScores([1.5, 0.5], "mean")).toBe(0.75);
    expect(aggregateStepScores([0.5, -0.2], "min")).toBe(0);
    expect(aggregateStepScores([0.5, Number.NaN], "last")).toBe(0);
    expect(aggregateStepScores([7], "last")).toBe(1);
  });
});

/** A stand-in PRM: each complete line's score is the number it ends with, as a fraction of 10. */
const lineScorer: StepScorer = {
  name: "lines",
  scoreSteps({ trace, final }) {
    const lines = trace.split("\n");
    if (!final) lines.pop();
    return lines.filter((l) => l.trim() !== "").map((l) => Number(/(\d+)$/.exec(l)?.[1] ?? 0) / 10);
  },
};

describe("stepScoringVerifier", () => {
  it("builds a partial verifier that scores the aggregate and verifies nothing", () => {
    const v = stepScoringVerifier(lineScorer, "min");
    expect(v).toMatchObject({ name: "lines", partial: true });
    expect(v.verify({ trace: "a 9\nb 4\nc 7", final: true })).toEqual({
      score: 0.4,
      stepScores: [0.9, 0.4, 0.7],
      reject: false,
      reason: "min of 3 step scores = 0.4",
      verified: false,
    });
    expect(v.verify({ trace: "a 9\nb 4\nc 7", final: false }).stepScores).toEqual([0.9, 0.4]);
    expect(v.verify({ trace: "a 9", final: false })).toMatchObject({ score: 1, stepScores: [], reason: "no steps scored yet" });
  });

  it("rejects below the bar: on the aggregate by default, or on the latest step", () => {
    const onAggregate = stepScoringVerifier(lineScorer, "mean", { rejectBelow: 0.5 });
    expect(onAggregate.verify({ trace: "a 9\nb 2\n", final: false })).toMatchObject({ score: 0.55, reject: false });
    const low = onAggregate.verify({ trace: "a 9\nb 2\nc 0\n", final: false });
    expect(low).toMatchObject({ reject: true, reason: "mean of 3 step scores = 0.367, below 0.5" });
    const onLatest = stepScoringVerifier(lineScorer, "mean", { rejectBelow: 0.5, rejectOn: "latest" });
    expect(onLatest.verify({ trace: "a 9\nb 2\n", final: false })).toMatchObject({ reject: true, reason: "step 2 scored 0.2, below 0.5" });
    expect(onLatest.verify({ trace: "a 9\nb 2\nc 8\n", final: false }).reject).toBe(false);
    // Never without a bar.
    expect(stepScoringVerifier(lineScorer, "min").verify({ trace: "a 0\n", final: false })).toMatchObject({ score: 0, reject: false });
  });

  it("takes the scorer's outcome score for a finished trace when it has one", () => {
    const orm: StepScorer = { ...lineScorer, scoreOutcome: ({ trace }) => (trace.includes("boxed") ? 1.7 : undefined) };
    const v = stepScoringVerifier(orm, "min");
    expect(v.verify({ trace: "a 2\n\\boxed{3}", final: true })).toMatchObject({ score: 1, reason: "outcome score 1 (2 step scores)" });
    expect(v.verify({ trace: "a 2\nb 5", final: true }).score).toBe(0.2);
    expect(v.verify({ trace: "a 2\n\\boxed{3}\n", final: false }).score).toBe(0); // not final: steps only
  });
});

describe("recorded verifier", () => {
  const recorded = createVerifier("recorded");
  const base = { recorded: { score: 0.7, stepScores: [0.9, 0.2, 0.8] } };

  it("replays the outcome score of a finished trace and the steps seen of a partial one", () => {
    expect(recorded.name).toBe("recorded");
    expect(recorded.partial).toBe(true);
    expect(recorded.verify({ ...base, trace: "s1\ns2\ns3", final: true })).toEqual({
      score: 0.7,
      stepScores: [0.9, 0.2, 0.8],
      reject: false,
      reason: "outcome score 0.7 (3 step scores)",
      verified: false,
      continuation: expect.any(Object),
    });
    expect(recorded.verify({ ...base, trace: "s1\n", final: false })).toMatchObject({ score: 0.9, stepScores: [0.9] });
    expect(recorded.verify({ ...base, trace: "s1\ns2\ns3 still typi", final: false })).toMatchObject({
      score: 0.2,
      stepScores: [0.9, 0.2],
    });
    // More lines than recorded steps: all of them, no more.
    expect(recorded.verify({ ...base, trace: "1\n2\n3\n4\n5\n", final: false }).stepScores).toEqual([0.9, 0.2, 0.8]);
  });

  it("counts the steps seen as the recorded scores were cut: paragraphs when the trace has them (splitSteps)", () => {
    // Two paragraphs of two lines each: two steps, not four lines.
    const trace = "p1 a\np1 b\n\np2 a\np2 b\n\n";
    expect(recorded.verify({ ...base, trace, final: false }).stepScores).toEqual([0.9, 0.2]);
    // Blank lines never count as steps of their own.
    expect(recorded.verify({ ...base, trace: "s1\n\n\n", final: false }).stepScores).toEqual([0.9]);
  });

  it("aggregates the step scores when no outcome score was recorded", () => {
    const v = createRecordedVerifier({ aggregation: "product" });
    expect(v.verify({ recorded: { stepScores: [0.5, 0.5] }, trace: "a\nb", final: true }).score).toBe(0.25);
  });

  it("rejects when the latest step is below the bar (never by default)", () => {
    const strict = createRecordedVerifier({ rejectBelow: 0.5 });
    expect(strict.verify({ ...base, trace: "s1\n", final: false }).reject).toBe(false);
    expect(strict.verify({ ...base, trace: "s1\ns2\n", final: false })).toMatchObject({
      reject: true,
      reason: "step 2 scored 0.2, below 0.5",
    });
    expect(strict.verify({ ...base, trace: "s1\ns2\ns3\n", final: false }).reject).toBe(false);
    expect(recorded.verify({ ...base, trace: "s1\ns2\n", final: false }).reject).toBe(false);
  });

  it("maps unbounded reward-model scores through the logistic, and keeps probabilities", () => {
    expect(logistic(0)).toBe(0.5);
    expect(logistic(2)).toBeCloseTo(0.8807970779778823, 15);
    // Qwen2.5-Math outcome reward-model scores (recorded, larger is better).
    expect(recorded.verify({ recorded: { score: 3.546875 }, trace: "x", final: true }).score).toBeCloseTo(logistic(3.546875), 15);
    expect(recorded.verify({ recorded: { score: -2.6875 }, trace: "x", final: true }).score).toBeCloseTo(0.0637, 4);
    expect(recorded.verify({ recorded: { score: 0.36328125 }, trace: "x", final: true }).score).toBe(0.36328125); // auto: in 0..1
    expect(recorded.verify({ recorded: { score: 0.36328125, scale: "logit" }, trace: "x", final: true }).score).toBeCloseTo(
      logistic(0.36328125),
      15,
    );
    expect(createRecordedVerifier({ scale: "logit" }).verify({ recorded: { score: 0.5 }, trace: "x", final: true }).score).toBeCloseTo(
      logistic(0.5),
      15,
    );
    expect(createRecordedVerifier({ scale: "probability" }).verify({ recorded: { score: 3 }, trace: "x", final: true }).score).toBe(1);
    // auto decides once per input: one value outside 0..1 makes every value a logit.
    const mixed: VerifyInput = { recorded: { stepScores: [0.5, 20] }, trace: "a\nb", final: true };
    expect(recorded.verify(mixed).stepScores).toEqual([logistic(0.5), logistic(20)]);
  });

  it("scores 1 without recorded scores", () => {
    expect(recorded.verify({ trace: "x", final: true })).toEqual({
      score: 1,
      stepScores: [],
      reject: false,
      reason: "no recorded scores",
      verified: false,
      continuation: { offset: 1, resume: "" },
    });
    expect(recorded.verify({ recorded: {}, trace: "x", final: false }).reason).toBe("no recorded scores");
  });
});
