/**
 * PRM beam pruning: a branch survives step s only when its step-s score is in the top `beam` of every
 * branch that reached step s; the answer is the score-weighted vote.
 */
import { describe, it, expect } from "vitest";
import { createQueryController } from "../src/controller.js";
import { createPrmBeamPolicy } from "../src/policies/prm-beam.js";
import { PolicyConfigError } from "../src/policies/config-error.js";
import type { Decision, ExecutionMode, QueryEvent } from "../src/types.js";

const launch = (...branches: number[]): Decision => ({ kind: "launch", branches });
const finish = (reason: string, detail: string): Decision => ({ kind: "finish", reason, detail }) as Decision;
const prune = (branch: number, step: number, score: string, beam: number): Decision => ({
  kind: "prune",
  branch,
  reason: `step ${step} score ${score} is outside the top ${beam}`,
});
const steps = (branch: number, stepScores: number[], extra: Partial<Extract<QueryEvent, { kind: "progress" }>> = {}): QueryEvent => ({
  kind: "progress",
  branch,
  tokens: 10 * stepScores.length,
  stepScores,
  score: stepScores.at(-1)!,
  ...extra,
});
const fin = (branch: number, answer: string | null, score?: number): QueryEvent => ({
  kind: "finished",
  branch,
  answer,
  tokens: 100,
  ...(score !== undefined ? { score } : {}),
});

function controller(mode: ExecutionMode, maxBranches: number, parallelism: number, beam: number) {
  return createQueryController(createPrmBeamPolicy({ beam }), { mode, maxBranches, parallelism, tokenBudget: 1e9 });
}

describe("prm-beam", () => {
  it("has beam 4 by default and rejects a beam below 1", () => {
    expect(createPrmBeamPolicy().params).toEqual({ beam: 4 });
    expect(() => createPrmBeamPolicy({ beam: 0 })).toThrow(PolicyConfigError);
    expect(() => createPrmBeamPolicy({ beam: 1.5 })).toThrow(PolicyConfigError);
  });

  it("prunes a branch whose step-s score is outside the top k of the branches that reached step s", () => {
    const c = controller("all-parallel", 4, 4, 2);
    expect(c.start()).toEqual([launch(0, 1, 2, 3)]);
    expect(c.on(steps(0, [0.9]))).toEqual([]);
    expect(c.on(steps(1, [0.8]))).toEqual([]);
    // Two branches at step 1 scored higher.
    expect(c.on(steps(2, [0.5]))).toEqual([prune(2, 1, "0.500", 2)]);
    expect(c.on(steps(3, [0.95]))).toEqual([]);
    // Branch 1, still at step 1, is now third of the four that reached it.
    expect(c.on(steps(1, [0.8]))).toEqual([prune(1, 1, "0.800", 2)]);
    // Step 2 is ranked only among branches that reached step 2.
    expect(c.on(steps(0, [0.9, 0.1]))).toEqual([]);
    expect(c.on(steps(3, [0.95, 0.2]))).toEqual([]);
    expect(c.on(fin(0, "a", 0.6))).toEqual([]);
    expect(c.on(fin(3, "b", 0.7))).toEqual([finish("all_branches_done", "all 4 branches ended; score-weighted vote of the survivors")]);
    expect(c.consensus().leader).toBe("b");
    expect(c.consensus().votes).toEqual([
      { answer: "b", count: 1, weight: 0.7 },
      { answer: "a", count: 1, weight: 0.6 },
    ]);
  });

  it("counts branches pruned since as competitors at the steps they reached", () => {
    const c = controller("all-parallel", 3, 3, 2);
    c.start();
    expect(c.on(steps(0, [0.9], { reject: "verifier: wrong" }))).toEqual([{ kind: "prune", branch: 0, reason: "verifier: wrong" }]);
    expect(c.on(steps(1, [0.8]))).toEqual([]);
    expect(c.on(steps(2, [0.7]))).toEqual([prune(2, 1, "0.700", 2)]);
  });

  it("breaks equal scores by index, the lower one surviving", () => {
    const c = controller("all-parallel", 2, 2, 1);
    c.start();
    expect(c.on(steps(1, [0.5]))).toEqual([]);
    expect(c.on(steps(0, [0.5]))).toEqual([]);
    expect(c.on(steps(1, [0.5]))).toEqual([prune(1, 1, "0.500", 1)]);
  });

  it("never prunes a branch without step scores or one that finished", () => {
    const c = controller("all-parallel", 3, 3, 1);
    c.start();
    expect(c.on({ kind: "progress", branch: 0, tokens: 10, score: 0.1 })).toEqual([]);
    expect(c.on(steps(1, [0.9]))).toEqual([]);
    expect(c.on({ kind: "finished", branch: 2, answer: "z", tokens: 10, score: 0.1 })).toEqual([]);
    expect(c.inFlight).toBe(2);
  });

  it("in waves launches a new branch in place of a pruned one", () => {
    const c = controller("waves", 5, 3, 1);
    expect(c.start()).toEqual([launch(0, 1, 2)]);
    expect(c.on(steps(0, [0.9]))).toEqual([]);
    expect(c.on(steps(1, [0.4]))).toEqual([prune(1, 1, "0.400", 1), launch(3)]);
    // The newcomer competes with everything that ever reached step 1.
    expect(c.on(steps(3, [0.95]))).toEqual([]);
    expect(c.on(steps(2, [0.92]))).toEqual([prune(2, 1, "0.920", 1), launch(4)]);
  });

  it("in sequential mode judges each branch against those before it", () => {
    const c = controller("sequential", 3, 3, 1);
    expect(c.start()).toEqual([launch(0)]);
    expect(c.on(steps(0, [0.6]))).toEqual([]);
    expect(c.on(fin(0, "a", 0.6))).toEqual([launch(1)]);
    expect(c.on(steps(1, [0.5]))).toEqual([prune(1, 1, "0.500", 1), launch(2)]);
    expect(c.on(steps(2, [0.7]))).toEqual([]);
    expect(c.on(fin(2, "b", 0.4))).toEqual([finish("all_branches_done", "all 3 branches ended; score-weighted vote of the survivors")]);
    expect(c.consensus().leader).toBe("a");
  });

  it("weighs an unscored answer 1 and a negative score 0", () => {
    const policy = createPrmBeamPolicy();
    policy.vote(0, "a");
    policy.vote(1, "b", -1);
    policy.vote(2, "b", 0.9);
    expect(policy.consensus().votes).toEqual([
      { answer: "a", count: 1, weight: 1 },
      { answer: "b", count: 2, weight: 0.9 },
    ]);
    expect(policy.settled({ finished: 3, maxBranches: 4 })).toEqual({ settled: false, detail: "beam of 4: 3 of 4 branches ended" });
  });
});
