import { describe, it, expect } from "vitest";
import { createQueryController } from "../src/controller.js";
import { createAdaptivePolicy } from "../src/policies/adaptive.js";
import { createMajorityPolicy } from "../src/policies/majority.js";
import type { BranchView, Consensus, Decision, ExecutionMode, Policy, PolicyContext, Prune, QueryLimits } from "../src/types.js";
import { executionModes } from "../src/types.js";

const limits = (over: Partial<QueryLimits> = {}): QueryLimits => ({
  maxBranches: 8,
  parallelism: 3,
  tokenBudget: 1_000_000,
  ...over,
});

const adaptive = (over: Partial<QueryLimits> = {}) => createQueryController(createAdaptivePolicy(), limits(over));

const launch = (...branches: number[]): Decision => ({ kind: "launch", branches });

describe("createQueryController", () => {
  it("launches the first wave once", () => {
    const c = adaptive();
    expect(c.start()).toEqual([launch(0, 1, 2)]);
    expect([c.launched, c.inFlight, c.finished, c.tokens, c.done]).toEqual([3, 3, 0, 0, false]);
    expect(c.start()).toEqual([]);
    expect(c.launched).toBe(3);
  });

  it("refills the wave when a branch finishes", () => {
    const c = adaptive();
    c.start();
    expect(c.on({ kind: "started", branch: 0 })).toEqual([]);
    expect(c.on({ kind: "finished", branch: 0, answer: "42", tokens: 100 })).toEqual([launch(3)]);
    expect([c.launched, c.inFlight, c.finished, c.tokens]).toEqual([4, 3, 1, 100]);
    expect(c.consensus().votes).toEqual([{ answer: "42", count: 1, weight: 1 }]);
  });

  it("finishes on consensus after 4 unanimous answers and launches nothing more", () => {
    const c = adaptive();
    c.start();
    // Adaptive's demand: with 1 vote for "42" three more agreeing votes could settle it, and three are
    // already in flight (1, 2 and the refill 3); after that the wave shrinks instead of refilling.
    expect(c.on({ kind: "finished", branch: 0, answer: "42", tokens: 10 })).toEqual([launch(3)]);
    expect(c.on({ kind: "finished", branch: 1, answer: "42", tokens: 10 })).toEqual([]);
    expect(c.on({ kind: "finished", branch: 2, answer: "42", tokens: 10 })).toEqual([]);
    expect(c.on({ kind: "finished", branch: 3, answer: "42", tokens: 10 })).toEqual([
      { kind: "finish", reason: "consensus", detail: "P(leader is majority) = 0.969 ≥ 0.95 after 4 answers" },
    ]);
    expect([c.done, c.launched, c.inFlight, c.finished]).toEqual([true, 4, 0, 4]);
    expect(c.consensus().leader).toBe("42");
    expect(c.on({ kind: "finished", branch: 3, answer: "42", tokens: 10 })).toEqual([]);
    expect(c.finished).toBe(4);
  });

  it("keeps going on a 3–2 split", () => {
    const c = adaptive({ maxBranches: 6, parallelism: 5 });
    // Four agreeing answers could settle it, so the first wave is 4 although the width is 5.
    expect(c.start()).toEqual([launch(0, 1, 2, 3)]);
    // a: 3 more needed, 3 in flight. a–b: no 4 further votes settle it, so every remaining branch is wanted.
    expect(c.on({ kind: "finished", branch: 0, answer: "a", tokens: 1 })).toEqual([]);
    expect(c.on({ kind: "finished", branch: 1, answer: "b", tokens: 1 })).toEqual([launch(4, 5)]);
    expect(c.on({ kind: "finished", branch: 2, answer: "a", tokens: 1 })).toEqual([]);
    expect(c.on({ kind: "finished", branch: 3, answer: "b", tokens: 1 })).toEqual([]);
    expect(c.on({ kind: "finished", branch: 4, answer: "a", tokens: 1 })).toEqual([]);
    expect(c.done).toBe(false);
    expect(c.inFlight).toBe(1);
    expect(c.consensus().leaderProbability).toBeCloseTo(0.65625, 10);
  });

  it("calls it all_branches_done when the policy settles on the very last branch", () => {
    const c = adaptive({ maxBranches: 4, parallelism: 4 });
    c.start();
    for (const branch of [0, 1, 2]) expect(c.on({ kind: "finished", branch, answer: "x", tokens: 1 })).toEqual([]);
    expect(c.on({ kind: "finished", branch: 3, answer: "x", tokens: 1 })).toEqual([
      { kind: "finish", reason: "all_branches_done", detail: "P(leader is majority) = 0.969 ≥ 0.95 after 4 answers" },
    ]);
  });

  it("finishes all_branches_done when every branch ended unsettled", () => {
    const c = adaptive({ maxBranches: 3, parallelism: 2 });
    expect(c.start()).toEqual([launch(0, 1)]);
    expect(c.on({ kind: "finished", branch: 0, answer: "1", tokens: 1 })).toEqual([launch(2)]);
    expect(c.on({ kind: "finished", branch: 1, answer: "2", tokens: 1 })).toEqual([]);
    expect(c.on({ kind: "finished", branch: 2, answer: "3", tokens: 1 })).toEqual([
      { kind: "finish", reason: "all_branches_done", detail: "all 3 branches ended; P(leader is majority) = 0.500 < 0.95 after 3 answers" },
    ]);
    expect(c.done).toBe(true);
  });

  it("refills the wave after a failed branch, which does not vote", () => {
    const c = adaptive();
    c.start();
    expect(c.on({ kind: "failed", branch: 1, tokens: 30, reason: "worker crashed" })).toEqual([launch(3)]);
    expect([c.finished, c.inFlight, c.tokens]).toEqual([1, 3, 30]);
    expect(c.consensus().leader).toBeNull();
  });

  it("finishes all_branches_done when the last branch fails", () => {
    const c = adaptive({ maxBranches: 2, parallelism: 2 });
    c.start();
    expect(c.on({ kind: "finished", branch: 0, answer: "9", tokens: 1 })).toEqual([]);
    expect(c.on({ kind: "failed", branch: 1, tokens: 1, reason: "timeout" })).toEqual([
      { kind: "finish", reason: "all_branches_done", detail: "all 2 branches ended; P(leader is majority) = 0.750 < 0.95 after 1 answer" },
    ]);
  });

  it("prunes a rejected branch, ends it, and refills the wave", () => {
    const c = adaptive();
    c.start();
    expect(c.on({ kind: "progress", branch: 1, tokens: 50 })).toEqual([]);
    expect(c.on({ kind: "progress", branch: 1, tokens: 80, score: 0, reject: "65 - 5 = 61 is wrong" })).toEqual([
      { kind: "prune", branch: 1, reason: "65 - 5 = 61 is wrong" },
      launch(3),
    ]);
    expect([c.finished, c.inFlight, c.tokens]).toEqual([1, 3, 80]);
    // The pruned branch's late result is not counted.
    expect(c.on({ kind: "finished", branch: 1, answer: "61", tokens: 90 })).toEqual([]);
    expect([c.finished, c.tokens]).toEqual([1, 80]);
    expect(c.consensus().votes).toEqual([]);
  });

  it("finishes all_branches_done when the last branch is pruned", () => {
    const c = adaptive({ maxBranches: 1, parallelism: 1 });
    c.start();
    expect(c.on({ kind: "progress", branch: 0, tokens: 5, reject: "bad step" })).toEqual([
      { kind: "prune", branch: 0, reason: "bad step" },
      {
        kind: "finish",
        reason: "all_branches_done",
        detail: "the only branch ended; no answers yet (stopping at P(leader is majority) ≥ 0.95)",
      },
    ]);
  });

  it("finishes on the token budget, counting each branch's latest cumulative count", () => {
    const c = adaptive({ tokenBudget: 1000 });
    c.start();
    expect(c.on({ kind: "progress", branch: 0, tokens: 300 })).toEqual([]);
    expect(c.on({ kind: "progress", branch: 0, tokens: 600 })).toEqual([]);
    expect(c.tokens).toBe(600);
    expect(c.on({ kind: "progress", branch: 1, tokens: 399 })).toEqual([]);
    expect(c.on({ kind: "progress", branch: 2, tokens: 13 })).toEqual([
      { kind: "finish", reason: "token_budget", detail: "token budget of 1000 reached (1012 generated)" },
    ]);
    expect(c.done).toBe(true);
  });

  it("finishes on the budget alone when a rejected branch spends it", () => {
    const c = adaptive({ tokenBudget: 100 });
    c.start();
    expect(c.on({ kind: "progress", branch: 0, tokens: 100, reject: "wrong" })).toEqual([
      { kind: "finish", reason: "token_budget", detail: "token budget of 100 reached (100 generated)" },
    ]);
  });

  it("records the vote of a branch that spends the budget before finishing", () => {
    const c = adaptive({ tokenBudget: 100 });
    c.start();
    expect(c.on({ kind: "finished", branch: 0, answer: "7", tokens: 120 })).toEqual([
      { kind: "finish", reason: "token_budget", detail: "token budget of 100 reached (120 generated)" },
    ]);
    expect(c.consensus().leader).toBe("7");
  });

  it("prefers consensus when the budget and the stopping rule are met together", () => {
    const c = adaptive({ tokenBudget: 100, parallelism: 4 });
    c.start();
    for (const branch of [0, 1, 2]) c.on({ kind: "finished", branch, answer: "7", tokens: 10 });
    expect(c.on({ kind: "finished", branch: 3, answer: "7", tokens: 70 })).toEqual([
      { kind: "finish", reason: "consensus", detail: "P(leader is majority) = 0.969 ≥ 0.95 after 4 answers" },
    ]);
  });

  it("finishes with the interrupt's reason", () => {
    for (const reason of ["deadline", "cancelled", "draining"] as const) {
      const c = adaptive();
      c.start();
      const decisions = c.on({ kind: "interrupt", reason });
      expect(decisions).toHaveLength(1);
      expect(decisions[0]).toMatchObject({ kind: "finish", reason });
      expect(c.done).toBe(true);
    }
  });

  it("ignores every event and start() after finishing", () => {
    const c = adaptive();
    c.start();
    expect(c.on({ kind: "interrupt", reason: "deadline" })).toEqual([
      { kind: "finish", reason: "deadline", detail: "the query deadline passed" },
    ]);
    expect(c.on({ kind: "finished", branch: 0, answer: "1", tokens: 5 })).toEqual([]);
    expect(c.on({ kind: "failed", branch: 1, tokens: 5, reason: "x" })).toEqual([]);
    expect(c.on({ kind: "progress", branch: 2, tokens: 5, reject: "x" })).toEqual([]);
    expect(c.on({ kind: "interrupt", reason: "cancelled" })).toEqual([]);
    expect(c.start()).toEqual([]);
    expect([c.finished, c.tokens, c.consensus().votes]).toEqual([0, 0, []]);
  });

  it("counts a duplicate finished event once", () => {
    const c = adaptive();
    c.start();
    expect(c.on({ kind: "finished", branch: 0, answer: "1", tokens: 5 })).toEqual([launch(3)]);
    expect(c.on({ kind: "finished", branch: 0, answer: "1", tokens: 9 })).toEqual([]);
    expect(c.on({ kind: "failed", branch: 0, tokens: 9, reason: "redelivered" })).toEqual([]);
    expect([c.finished, c.launched, c.tokens]).toEqual([1, 4, 5]);
    expect(c.consensus().votes).toEqual([{ answer: "1", count: 1, weight: 1 }]);
  });

  it("ignores events for branches it never launched", () => {
    const c = adaptive();
    expect(c.on({ kind: "finished", branch: 0, answer: "1", tokens: 5 })).toEqual([]);
    c.start();
    for (const branch of [3, 7, -1, 1.5, Number.NaN]) {
      expect(c.on({ kind: "finished", branch, answer: "1", tokens: 5 }), String(branch)).toEqual([]);
      expect(c.on({ kind: "progress", branch, tokens: 5, reject: "x" }), String(branch)).toEqual([]);
    }
    expect([c.finished, c.tokens, c.inFlight]).toEqual([0, 0, 3]);
  });

  it("keeps the last good token count when an event carries a malformed one", () => {
    const c = adaptive();
    c.start();
    c.on({ kind: "progress", branch: 0, tokens: 40 });
    c.on({ kind: "progress", branch: 0, tokens: Number.NaN });
    c.on({ kind: "progress", branch: 1, tokens: -3 });
    expect(c.tokens).toBe(40);
  });

  it("launches at most maxBranches when parallelism is larger", () => {
    const c = adaptive({ maxBranches: 2, parallelism: 5 });
    expect(c.start()).toEqual([launch(0, 1)]);
    expect(c.on({ kind: "finished", branch: 1, answer: "a", tokens: 1 })).toEqual([]);
    expect(c.on({ kind: "finished", branch: 0, answer: "a", tokens: 1 })).toEqual([
      { kind: "finish", reason: "all_branches_done", detail: "all 2 branches ended; P(leader is majority) = 0.875 < 0.95 after 2 answers" },
    ]);
    expect(c.launched).toBe(2);
  });

  it("with majority, never stops early and runs every branch", () => {
    const c = createQueryController(createMajorityPolicy(), limits({ maxBranches: 5, parallelism: 2 }));
    expect(c.start()).toEqual([launch(0, 1)]);
    const launches: Decision[][] = [];
    for (const branch of [0, 1, 2, 3]) launches.push(c.on({ kind: "finished", branch, answer: "same", tokens: 1 }));
    expect(launches).toEqual([[launch(2)], [launch(3)], [launch(4)], []]);
    expect(c.on({ kind: "finished", branch: 4, answer: "same", tokens: 1 })).toEqual([
      { kind: "finish", reason: "all_branches_done", detail: "all 5 branches finished; majority answer has 5 of 5 votes" },
    ]);
  });

  it("rejects limits it cannot run with", () => {
    const policy = createAdaptivePolicy();
    expect(() => createQueryController(policy, limits({ maxBranches: 0 }))).toThrow(RangeError);
    expect(() => createQueryController(policy, limits({ maxBranches: 2.5 }))).toThrow(RangeError);
    expect(() => createQueryController(policy, limits({ parallelism: 0 }))).toThrow(RangeError);
    expect(() => createQueryController(policy, limits({ tokenBudget: 0 }))).toThrow(RangeError);
    expect(() => createQueryController(policy, limits({ tokenBudget: Number.NaN }))).toThrow(RangeError);
  });
});

/** A policy whose demand and prunes the test scripts, recording what the controller showed it. */
function scripted(
  opts: {
    demand?: (context: PolicyContext) => number;
    review?: (changed: BranchView, context: PolicyContext) => Prune[];
    settleAfter?: number;
  } = {},
) {
  const votes: Array<{
    branch: number;
    answer: string | null;
    score: number | undefined;
    state: string | undefined;
    verified: boolean | undefined;
  }> = [];
  const demands: Array<{ launched: number; inFlight: number; ended: number; maxBranches: number; states: string[] }> = [];
  const reviews: Array<{ changed: number; state: string }> = [];
  const empty: Consensus = { leader: null, votes: [], support: 0, leaderProbability: 0 };
  const policy: Policy = {
    name: "scripted",
    params: {},
    vote(branch, answer, score, view) {
      votes.push({ branch, answer, score, state: view?.state, verified: view?.verified });
    },
    consensus: () => empty,
    settled: ({ finished, maxBranches }) => ({
      settled: finished >= (opts.settleAfter ?? maxBranches),
      detail: `${finished} of ${maxBranches}`,
    }),
  };
  const withDemand = opts.demand;
  if (withDemand) {
    policy.demand = (context) => {
      demands.push({
        launched: context.launched,
        inFlight: context.inFlight,
        ended: context.ended,
        maxBranches: context.maxBranches,
        states: context.branches.map((b) => b.state),
      });
      return withDemand(context);
    };
  }
  const withReview = opts.review;
  if (withReview) {
    policy.review = (changed, context) => {
      reviews.push({ changed: changed.index, state: changed.state });
      return withReview(changed, context);
    };
  }
  return { policy, votes, demands, reviews };
}

const fin = (branch: number, answer: string | null, tokens = 1, extra: Record<string, unknown> = {}) => ({
  kind: "finished" as const,
  branch,
  answer,
  tokens,
  ...extra,
});
const finishDecision = (reason: string, detail: string): Decision => ({ kind: "finish", reason, detail }) as Decision;

describe("execution modes", () => {
  it("lists the three modes and defaults to waves", () => {
    expect(executionModes).toEqual(["all-parallel", "sequential", "waves"]);
    expect(createQueryController(createMajorityPolicy(), limits()).mode).toBe("waves");
    for (const mode of executionModes) expect(createQueryController(createMajorityPolicy(), limits({ mode })).mode).toBe(mode);
  });

  it("all-parallel launches every branch at start, whatever the parallelism or the policy's demand", () => {
    for (const policy of [createMajorityPolicy(), createAdaptivePolicy()]) {
      const c = createQueryController(policy, limits({ mode: "all-parallel", maxBranches: 6, parallelism: 2 }));
      expect(c.start(), policy.name).toEqual([launch(0, 1, 2, 3, 4, 5)]);
      expect([c.launched, c.inFlight]).toEqual([6, 6]);
      // Nothing is ever launched again.
      expect(c.on(fin(0, "a"))).toEqual([]);
      expect(c.on({ kind: "failed", branch: 1, tokens: 1, reason: "x" })).toEqual([]);
      expect(c.on({ kind: "progress", branch: 2, tokens: 1, reject: "bad" })).toEqual([{ kind: "prune", branch: 2, reason: "bad" }]);
      expect(c.launched).toBe(6);
    }
  });

  it("all-parallel with adaptive still stops on consensus and leaves the rest to be cancelled", () => {
    const c = createQueryController(createAdaptivePolicy(), limits({ mode: "all-parallel", maxBranches: 10 }));
    expect(c.start()).toEqual([launch(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)]);
    for (const branch of [4, 7, 1]) expect(c.on(fin(branch, "7"))).toEqual([]);
    expect(c.on(fin(9, "7"))).toEqual([finishDecision("consensus", "P(leader is majority) = 0.969 ≥ 0.95 after 4 answers")]);
    expect([c.launched, c.inFlight, c.finished]).toEqual([10, 6, 4]);
  });

  it("sequential launches one branch at a time, whatever the parallelism", () => {
    const c = createQueryController(createMajorityPolicy(), limits({ mode: "sequential", maxBranches: 4, parallelism: 4 }));
    expect(c.start()).toEqual([launch(0)]);
    expect(c.inFlight).toBe(1);
    expect(c.on({ kind: "started", branch: 0 })).toEqual([]);
    expect(c.on({ kind: "progress", branch: 0, tokens: 5 })).toEqual([]);
    expect(c.on(fin(0, "a"))).toEqual([launch(1)]);
    // A failed or rejected branch is replaced by the next one too.
    expect(c.on({ kind: "failed", branch: 1, tokens: 1, reason: "crash" })).toEqual([launch(2)]);
    expect(c.on({ kind: "progress", branch: 2, tokens: 3, reject: "wrong step" })).toEqual([
      { kind: "prune", branch: 2, reason: "wrong step" },
      launch(3),
    ]);
    expect(c.on(fin(3, "a"))).toEqual([finishDecision("all_branches_done", "all 4 branches finished; majority answer has 2 of 2 votes")]);
    expect(c.launched).toBe(4);
  });

  it("sequential with adaptive stops after 4 unanimous answers having launched only 4", () => {
    const c = createQueryController(createAdaptivePolicy(), limits({ mode: "sequential", maxBranches: 40, parallelism: 8 }));
    expect(c.start()).toEqual([launch(0)]);
    expect(c.on(fin(0, "x"))).toEqual([launch(1)]);
    expect(c.on(fin(1, "x"))).toEqual([launch(2)]);
    expect(c.on(fin(2, "x"))).toEqual([launch(3)]);
    expect(c.on(fin(3, "x"))).toEqual([finishDecision("consensus", "P(leader is majority) = 0.969 ≥ 0.95 after 4 answers")]);
    expect([c.launched, c.inFlight, c.finished]).toEqual([4, 0, 4]);
  });

  it("sequential ignores the policy's demand", () => {
    const s = scripted({ demand: () => 5 });
    const c = createQueryController(s.policy, limits({ mode: "sequential", maxBranches: 3, parallelism: 3 }));
    expect(c.start()).toEqual([launch(0)]);
    expect(c.on(fin(0, "a"))).toEqual([launch(1)]);
    expect(s.demands).toEqual([]);
  });

  it("waves without a demand keep the full width in flight", () => {
    const c = createQueryController(createMajorityPolicy(), limits({ mode: "waves", maxBranches: 5, parallelism: 3 }));
    expect(c.start()).toEqual([launch(0, 1, 2)]);
    expect(c.on(fin(1, "a"))).toEqual([launch(3)]);
    expect(c.on(fin(0, "a"))).toEqual([launch(4)]);
    expect(c.on(fin(2, "a"))).toEqual([]);
    expect(c.inFlight).toBe(2);
  });

  it("waves launch no more than the policy's demand, and no more than the parallelism", () => {
    const demand = [2, 2, 10, 0, 1.2];
    const s = scripted({ demand: () => demand.shift() ?? 0 });
    const c = createQueryController(s.policy, limits({ mode: "waves", maxBranches: 8, parallelism: 4 }));
    expect(c.start()).toEqual([launch(0, 1)]); // demand 2
    expect(c.on(fin(0, "a"))).toEqual([launch(2)]); // demand 2, one in flight
    expect(c.on(fin(1, "a"))).toEqual([launch(3, 4, 5)]); // demand 10, capped by the width of 4
    expect(c.on(fin(2, "a"))).toEqual([]); // demand 0: three still in flight, so none
    expect(c.on(fin(3, "a"))).toEqual([]); // demand 1.2 rounds up to 2: two in flight
    expect(s.demands).toEqual([
      { launched: 0, inFlight: 0, ended: 0, maxBranches: 8, states: [] },
      { launched: 2, inFlight: 1, ended: 1, maxBranches: 8, states: ["finished", "queued"] },
      { launched: 3, inFlight: 1, ended: 2, maxBranches: 8, states: ["finished", "finished", "queued"] },
      { launched: 6, inFlight: 3, ended: 3, maxBranches: 8, states: ["finished", "finished", "finished", "queued", "queued", "queued"] },
      { launched: 6, inFlight: 2, ended: 4, maxBranches: 8, states: ["finished", "finished", "finished", "finished", "queued", "queued"] },
    ]);
  });

  it("waves launch one branch when the demand is zero but nothing is in flight", () => {
    const s = scripted({ demand: () => 0 });
    const c = createQueryController(s.policy, limits({ mode: "waves", maxBranches: 3, parallelism: 3 }));
    expect(c.start()).toEqual([launch(0)]);
    expect(c.on(fin(0, "a"))).toEqual([launch(1)]);
    expect(c.on(fin(1, "a"))).toEqual([launch(2)]);
    expect(c.on(fin(2, "a"))).toEqual([finishDecision("all_branches_done", "3 of 3")]);
  });

  it("waves treat a NaN demand as the full width instead of stalling", () => {
    const c = createQueryController(
      scripted({ demand: () => Number.NaN }).policy,
      limits({ mode: "waves", maxBranches: 5, parallelism: 3 }),
    );
    expect(c.start()).toEqual([launch(0, 1, 2)]);
    expect(c.on(fin(0, "a"))).toEqual([launch(3)]);
  });

  it("waves with adaptive: the first wave is 4 for threshold 0.95 even with parallelism 8", () => {
    const c = createQueryController(createAdaptivePolicy(), limits({ mode: "waves", maxBranches: 40, parallelism: 8 }));
    expect(c.start()).toEqual([launch(0, 1, 2, 3)]);
    // a, a, a: each time the branches in flight could still settle it, so nothing more is launched.
    expect(c.on(fin(0, "a"))).toEqual([]);
    expect(c.on(fin(1, "a"))).toEqual([]);
    expect(c.on(fin(2, "a"))).toEqual([]);
    // a, a, a, b: three more "a" votes would give 6–1 (P = 0.965), two only 5–1 (P = 0.9375).
    expect(c.on(fin(3, "b"))).toEqual([launch(4, 5, 6)]);
    expect(c.on(fin(4, "a"))).toEqual([]);
    expect(c.on(fin(5, "a"))).toEqual([]);
    expect(c.on(fin(6, "a"))).toEqual([finishDecision("consensus", "P(leader is majority) = 0.965 ≥ 0.95 after 7 answers")]);
    expect([c.launched, c.inFlight, c.finished]).toEqual([7, 0, 7]);
  });

  it("hands the policy every ended branch: pruned and failed ones as null votes with their view", () => {
    const s = scripted();
    const c = createQueryController(s.policy, limits({ mode: "all-parallel", maxBranches: 3 }));
    c.start();
    c.on({ kind: "progress", branch: 0, tokens: 4, score: 0.2, reject: "bad" });
    c.on({ kind: "failed", branch: 1, tokens: 2, reason: "crash" });
    c.on(fin(2, "z", 9, { score: 0.7, verified: true }));
    expect(s.votes).toEqual([
      { branch: 0, answer: null, score: undefined, state: "pruned", verified: false },
      { branch: 1, answer: null, score: undefined, state: "failed", verified: false },
      { branch: 2, answer: "z", score: 0.7, state: "finished", verified: true },
    ]);
  });

  it("applies the policy's review prunes to live branches only, then refills", () => {
    const s = scripted({
      review: (changed) =>
        changed.index === 0 && changed.state === "running"
          ? [
              { branch: 1, reason: "weak" },
              { branch: 2, reason: "already done" },
              { branch: 9, reason: "unknown" },
            ]
          : [],
    });
    const c = createQueryController(s.policy, limits({ mode: "waves", maxBranches: 5, parallelism: 3 }));
    c.start();
    expect(c.on(fin(2, "a"))).toEqual([launch(3)]);
    expect(c.on({ kind: "progress", branch: 0, tokens: 10 })).toEqual([{ kind: "prune", branch: 1, reason: "weak" }, launch(4)]);
    expect(s.votes.map((v) => [v.branch, v.state])).toEqual([
      [2, "finished"],
      [1, "pruned"],
    ]);
    expect(s.reviews).toEqual([
      { changed: 2, state: "finished" },
      { changed: 0, state: "running" },
    ]);
    // A pruned branch's late events are ignored.
    expect(c.on(fin(1, "late"))).toEqual([]);
    expect([c.finished, c.inFlight, c.launched]).toEqual([2, 3, 5]);
  });

  it("no prune from review means no decision on progress", () => {
    const s = scripted({ review: () => [] });
    const c = createQueryController(s.policy, limits({ mode: "waves", maxBranches: 5, parallelism: 3 }));
    c.start();
    expect(c.on({ kind: "progress", branch: 0, tokens: 10, stepScores: [0.5], score: 0.5 })).toEqual([]);
    expect(s.reviews).toEqual([{ changed: 0, state: "running" }]);
  });

  const modeStarts: Record<ExecutionMode, number[]> = { "all-parallel": [0, 1, 2, 3, 4, 5], sequential: [0], waves: [0, 1, 2] };

  for (const mode of executionModes) {
    describe(`in ${mode} mode`, () => {
      const make = (tokenBudget: number) => {
        const c = createQueryController(createMajorityPolicy(), { mode, maxBranches: 6, parallelism: 3, tokenBudget });
        expect(c.start()).toEqual([launch(...modeStarts[mode])]);
        return c;
      };

      it("finishes on the token budget overrun by progress", () => {
        const c = make(100);
        expect(c.on({ kind: "progress", branch: 0, tokens: 60 })).toEqual([]);
        expect(c.on({ kind: "progress", branch: 0, tokens: 101 })).toEqual([
          finishDecision("token_budget", "token budget of 100 reached (101 generated)"),
        ]);
        expect(c.done).toBe(true);
        expect(c.on(fin(0, "a", 101))).toEqual([]);
      });

      it("keeps the answer of a branch whose last chunk meets the budget exactly", () => {
        const c = make(100);
        expect(c.on({ kind: "progress", branch: 0, tokens: 100 })).toEqual([]);
        expect(c.done).toBe(false);
        const out = c.on(fin(0, "a", 100));
        expect(out.at(-1)).toEqual(finishDecision("token_budget", "token budget of 100 reached (100 generated)"));
        expect(c.consensus().leader).toBe("a");
      });

      it("finishes on the token budget reached by a finished branch, keeping its vote", () => {
        const c = make(50);
        expect(c.on(fin(0, "a", 70))).toEqual([finishDecision("token_budget", "token budget of 50 reached (70 generated)")]);
        expect(c.consensus().leader).toBe("a");
        expect(c.launched).toBe(modeStarts[mode].length);
      });

      it("finishes on the token budget reached by a rejected branch, without a prune", () => {
        const c = make(50);
        expect(c.on({ kind: "progress", branch: 0, tokens: 55, reject: "bad" })).toEqual([
          finishDecision("token_budget", "token budget of 50 reached (55 generated)"),
        ]);
      });

      it("finishes on every interrupt with its reason and detail, and ignores what follows", () => {
        const details = {
          deadline: "the query deadline passed",
          cancelled: "the caller cancelled the query",
          draining: "the scheduler is draining",
        } as const;
        for (const reason of ["deadline", "cancelled", "draining"] as const) {
          const c = make(1_000);
          c.on(fin(0, "a", 5));
          expect(c.on({ kind: "interrupt", reason }), reason).toEqual([finishDecision(reason, details[reason])]);
          expect(c.done).toBe(true);
          expect(c.on(fin(1, "a", 5))).toEqual([]);
          expect(c.on({ kind: "interrupt", reason: "deadline" })).toEqual([]);
          expect(c.consensus().votes).toEqual([{ answer: "a", count: 1, weight: 1 }]);
          expect(c.finished).toBe(1);
        }
      });
    });
  }
});
