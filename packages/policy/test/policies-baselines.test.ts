/**
 * The policies that run every branch (majority, weighted, best-of-n) and first-verified, on hand-built
 * event sequences through the controller and on direct calls.
 */
import { describe, it, expect } from "vitest";
import { createQueryController } from "../src/controller.js";
import { createBestOfNPolicy } from "../src/policies/best-of-n.js";
import { createFirstVerifiedPolicy } from "../src/policies/first-verified.js";
import { createMajorityPolicy } from "../src/policies/majority.js";
import { createWeightedPolicy } from "../src/policies/weighted.js";
import { PolicyConfigError } from "../src/policies/config-error.js";
import type { BranchView, Decision, ExecutionMode, Policy, QueryEvent } from "../src/types.js";
import { executionModes } from "../src/types.js";

const launch = (...branches: number[]): Decision => ({ kind: "launch", branches });
const finish = (reason: string, detail: string): Decision => ({ kind: "finish", reason, detail }) as Decision;
const fin = (branch: number, answer: string | null, extra: { score?: number; verified?: boolean; tokens?: number } = {}): QueryEvent => ({
  kind: "finished",
  branch,
  answer,
  tokens: extra.tokens ?? 10,
  ...(extra.score !== undefined ? { score: extra.score } : {}),
  ...(extra.verified !== undefined ? { verified: extra.verified } : {}),
});

/** A finished branch as the controller shows it to a policy. */
function view(index: number, over: Partial<BranchView> = {}): BranchView {
  return {
    index,
    state: "finished",
    tokens: 10,
    stepScores: [],
    score: undefined,
    confidence: undefined,
    answer: undefined,
    verified: false,
    ...over,
  };
}

/** Runs `events` after start() in all-parallel mode and returns every decision list in order. */
function run(policy: Policy, maxBranches: number, events: QueryEvent[], mode: ExecutionMode = "all-parallel") {
  const c = createQueryController(policy, { mode, maxBranches, parallelism: 2, tokenBudget: 1e9 });
  const out: Decision[][] = [c.start()];
  for (const e of events) out.push(c.on(e));
  return { c, out };
}

describe("majority", () => {
  for (const mode of executionModes) {
    it(`never stops early, even when unanimous (${mode})`, () => {
      const { c, out } = run(
        createMajorityPolicy(),
        5,
        [0, 1, 2, 3, 4].map((b) => fin(b, "same")),
        mode,
      );
      // Only the last answer finishes the query, with all_branches_done.
      expect(
        out
          .slice(1, 5)
          .flat()
          .filter((d) => d.kind === "finish"),
      ).toEqual([]);
      expect(out[5]).toEqual([finish("all_branches_done", "all 5 branches finished; majority answer has 5 of 5 votes")]);
      expect(c.launched).toBe(5);
    });
  }

  it("answers the most frequent answer, first seen on ties, not weighing scores", () => {
    const policy = createMajorityPolicy();
    policy.vote(0, "b", 0.1);
    policy.vote(1, "a", 0.99);
    policy.vote(2, "b", 0.1);
    policy.vote(3, "a", 0.99);
    policy.vote(4, "c", 1);
    const { leaderProbability, ...rest } = policy.consensus();
    expect(rest).toEqual({
      leader: "b",
      votes: [
        { answer: "b", count: 2, weight: 2 },
        { answer: "a", count: 2, weight: 2 },
        { answer: "c", count: 1, weight: 1 },
      ],
      support: 0.4,
    });
    expect(leaderProbability).toBeCloseTo(0.5, 12);
  });
});

describe("weighted", () => {
  it("picks the score-weighted leader over the count leader", () => {
    const { c, out } = run(createWeightedPolicy(), 4, [
      fin(0, "a", { score: 0.9 }),
      fin(1, "b", { score: 0.3 }),
      fin(2, "b", { score: 0.3 }),
      fin(3, "b", { score: 0.2 }),
    ]);
    expect(out).toEqual([
      [launch(0, 1, 2, 3)],
      [],
      [],
      [],
      [finish("all_branches_done", "leader holds 52.9% of the score-weighted votes of 4 answers")],
    ]);
    const consensus = c.consensus();
    expect(consensus.leader).toBe("a");
    expect(consensus.votes).toEqual([
      { answer: "a", count: 1, weight: 0.9 },
      { answer: "b", count: 3, weight: 0.8 },
    ]);
    expect(consensus.support).toBeCloseTo(0.9 / 1.7, 12);
  });

  it("waits for every branch however lopsided the weights", () => {
    const policy = createWeightedPolicy();
    policy.vote(0, "a", 1);
    policy.vote(1, "a", 1);
    expect(policy.settled({ finished: 2, maxBranches: 3 })).toEqual({
      settled: false,
      detail: "weighted vote waits for every branch (2 of 3 ended)",
    });
    policy.vote(2, null);
    expect(policy.settled({ finished: 3, maxBranches: 3 })).toEqual({
      settled: true,
      detail: "leader holds 100.0% of the score-weighted votes of 2 answers",
    });
  });

  it("weighs an unscored branch by unscoredWeight and a negative score as 0", () => {
    const policy = createWeightedPolicy({ unscoredWeight: 0.25 });
    expect(policy.params).toEqual({ unscoredWeight: 0.25 });
    policy.vote(0, "a");
    policy.vote(1, "b", -3);
    policy.vote(2, "c", 0.2);
    expect(policy.consensus().votes).toEqual([
      { answer: "a", count: 1, weight: 0.25 },
      { answer: "c", count: 1, weight: 0.2 },
      { answer: "b", count: 1, weight: 0 },
    ]);
    expect(createWeightedPolicy().params).toEqual({ unscoredWeight: 1 });
    expect(() => createWeightedPolicy({ unscoredWeight: 2 })).toThrow(PolicyConfigError);
  });

  it("reports no answer when nobody answered", () => {
    const policy = createWeightedPolicy();
    policy.vote(0, null);
    expect(policy.settled({ finished: 1, maxBranches: 1 })).toEqual({ settled: true, detail: "no branch answered" });
    expect(policy.consensus().leader).toBeNull();
  });
});

describe("best-of-n", () => {
  it("answers the highest-scored finished branch, not the majority", () => {
    const { c, out } = run(createBestOfNPolicy(), 4, [
      fin(0, "a", { score: 0.5 }),
      fin(1, "b", { score: 0.9 }),
      fin(2, "a", { score: 0.6 }),
      fin(3, "a", { score: 0.7 }),
    ]);
    expect(out).toEqual([[launch(0, 1, 2, 3)], [], [], [], [finish("all_branches_done", "best verifier score 0.900 among 4 branches")]]);
    expect(c.consensus()).toEqual({
      leader: "b",
      votes: [
        { answer: "b", count: 1, weight: 1 },
        { answer: "a", count: 3, weight: 3 },
      ],
      support: 0.25,
      // The posterior belongs to the tally's leader, which is not the answer.
      leaderProbability: 0,
    });
  });

  it("keeps the first of equal scores, ignores scored branches without an answer and counts unscored as 0", () => {
    const policy = createBestOfNPolicy();
    policy.vote(0, "a");
    expect(policy.consensus().leader).toBe("a");
    policy.vote(1, null, 1);
    policy.vote(2, "b", 0.4);
    policy.vote(3, "c", 0.4);
    expect(policy.consensus().leader).toBe("b");
    expect(policy.settled({ finished: 4, maxBranches: 5 })).toEqual({
      settled: false,
      detail: "best-of-n waits for every branch (4 of 5 ended)",
    });
    expect(policy.settled({ finished: 5, maxBranches: 5 })).toEqual({
      settled: true,
      detail: "best verifier score 0.400 among 5 branches",
    });
  });

  it("keeps the tally's posterior when the best answer also leads the count", () => {
    const policy = createBestOfNPolicy();
    policy.vote(0, "a", 0.9);
    policy.vote(1, "a", 0.1);
    policy.vote(2, "b", 0.2);
    const { leaderProbability, ...rest } = policy.consensus();
    expect(rest).toEqual({
      leader: "a",
      votes: [
        { answer: "a", count: 2, weight: 2 },
        { answer: "b", count: 1, weight: 1 },
      ],
      support: 2 / 3,
    });
    expect(leaderProbability).toBeCloseTo(0.6875, 12);
  });

  it("settles without a leader when nothing answered", () => {
    const policy = createBestOfNPolicy();
    policy.vote(0, null, 0.9);
    expect(policy.settled({ finished: 1, maxBranches: 1 })).toEqual({ settled: true, detail: "no branch answered" });
    expect(policy.consensus().leader).toBeNull();
  });
});

describe("first-verified", () => {
  it("stops at the first verified finish, answering it even against the majority", () => {
    const { c, out } = run(createFirstVerifiedPolicy(), 6, [
      fin(0, "a"),
      fin(1, "a", { verified: false }),
      fin(2, "b", { verified: true }),
      fin(3, "c", { verified: true }),
    ]);
    expect(out).toEqual([[launch(0, 1, 2, 3, 4, 5)], [], [], [finish("consensus", "branch 2 was verified exactly")], []]);
    expect(c.consensus()).toEqual({
      leader: "b",
      votes: [
        { answer: "b", count: 1, weight: 1 },
        { answer: "a", count: 2, weight: 2 },
      ],
      support: 1 / 3,
      leaderProbability: 1,
    });
  });

  it("in sequential mode launches until the verified one", () => {
    const { c, out } = run(createFirstVerifiedPolicy(), 10, [fin(0, "1"), fin(1, "2"), fin(2, "24", { verified: true })], "sequential");
    expect(out).toEqual([[launch(0)], [launch(1)], [launch(2)], [finish("consensus", "branch 2 was verified exactly")]]);
    expect(c.launched).toBe(3);
  });

  it("returns the majority at the end when nothing is verified", () => {
    const { c, out } = run(createFirstVerifiedPolicy(), 3, [fin(0, "a"), fin(1, "b"), fin(2, "b")], "waves");
    expect(out).toEqual([
      [launch(0, 1)],
      [launch(2)],
      [],
      [finish("all_branches_done", "no branch was verified among 3; majority of the answers")],
    ]);
    expect(c.consensus().leader).toBe("b");
  });

  it("ignores a verified flag without an answer, and pruned or failed branches", () => {
    const policy = createFirstVerifiedPolicy();
    policy.vote(0, null, undefined, view(0, { verified: true }));
    policy.vote(1, null, undefined, view(1, { state: "pruned" }));
    policy.vote(2, "x", undefined, view(2));
    expect(policy.settled({ finished: 3, maxBranches: 4 })).toEqual({ settled: false, detail: "no verified branch yet (3 of 4 ended)" });
    policy.vote(3, "y", undefined, view(3, { verified: true }));
    expect(policy.settled({ finished: 4, maxBranches: 4 })).toEqual({ settled: true, detail: "branch 3 was verified exactly" });
    expect(policy.consensus().leader).toBe("y");
  });
});
