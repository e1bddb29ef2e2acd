import { describe, it, expect } from "vitest";
import { createQueryController } from "../src/controller.js";
import { createAdaptivePolicy } from "../src/policies/adaptive.js";
import { createMajorityPolicy } from "../src/policies/majority.js";
import type { Decision, QueryLimits } from "../src/types.js";

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
    expect(c.on({ kind: "finished", branch: 0, answer: "42", tokens: 10 })).toEqual([launch(3)]);
    expect(c.on({ kind: "finished", branch: 1, answer: "42", tokens: 10 })).toEqual([launch(4)]);
    expect(c.on({ kind: "finished", branch: 2, answer: "42", tokens: 10 })).toEqual([launch(5)]);
    expect(c.on({ kind: "finished", branch: 3, answer: "42", tokens: 10 })).toEqual([
      { kind: "finish", reason: "consensus", detail: "P(leader is majority) = 0.969 ≥ 0.95 after 4 answers" },
    ]);
    expect([c.done, c.launched, c.inFlight, c.finished]).toEqual([true, 6, 2, 4]);
    expect(c.consensus().leader).toBe("42");
    expect(c.on({ kind: "finished", branch: 4, answer: "42", tokens: 10 })).toEqual([]);
    expect(c.finished).toBe(4);
  });

  it("keeps going on a 3–2 split", () => {
    const c = adaptive({ maxBranches: 6, parallelism: 5 });
    expect(c.start()).toEqual([launch(0, 1, 2, 3, 4)]);
    ["a", "b", "a", "b"].forEach((answer, branch) => {
      expect(c.on({ kind: "finished", branch, answer, tokens: 1 }), String(branch)).toEqual(branch === 0 ? [launch(5)] : []);
    });
    expect(c.on({ kind: "finished", branch: 4, answer: "a", tokens: 1 })).toEqual([]);
    expect(c.done).toBe(false);
    expect(c.inFlight).toBe(1);
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
      { kind: "finish", reason: "all_branches_done", detail: "the only branch ended; no answers yet (stopping at P(leader is majority) ≥ 0.95)" },
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
