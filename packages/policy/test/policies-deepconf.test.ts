/**
 * DeepConf online (Fu et al. 2025): the warm-up bar, pruning of later branches below it, the
 * confidence filter and weights in the vote, the consensus stop, and the no-confidence fallback.
 */
import { describe, it, expect } from "vitest";
import { createQueryController } from "../src/controller.js";
import { createDeepConfPolicy } from "../src/policies/deepconf.js";
import { createMajorityPolicy } from "../src/policies/majority.js";
import { PolicyConfigError } from "../src/policies/config-error.js";
import type { BranchConfidence, BranchView, Decision, ExecutionMode, QueryEvent } from "../src/types.js";

const launch = (...branches: number[]): Decision => ({ kind: "launch", branches });
const finish = (reason: string, detail: string): Decision => ({ kind: "finish", reason, detail }) as Decision;
const prune = (branch: number, reason: string): Decision => ({ kind: "prune", branch, reason });
const conf = (lowest: number): BranchConfidence => ({
  tokens: 100,
  meanLogprob: -0.2,
  lowestGroupConfidence: lowest,
  tailGroupConfidence: lowest + 1,
});
const fin = (branch: number, answer: string | null, lowest?: number): QueryEvent => ({
  kind: "finished",
  branch,
  answer,
  tokens: 100,
  ...(lowest !== undefined ? { confidence: conf(lowest) } : {}),
});
const progress = (branch: number, lowest?: number): QueryEvent => ({
  kind: "progress",
  branch,
  tokens: 50,
  ...(lowest !== undefined ? { confidence: conf(lowest) } : {}),
});
const belowBar = (branch: number, c: string, bar: string) =>
  prune(branch, `lowest group confidence ${c} fell below the warm-up bar ${bar}`);

function view(index: number, lowest: number | undefined, over: Partial<BranchView> = {}): BranchView {
  return {
    index,
    state: "finished",
    tokens: 100,
    stepScores: [],
    score: undefined,
    confidence: lowest === undefined ? undefined : conf(lowest),
    answer: undefined,
    verified: false,
    ...over,
  };
}

function controller(mode: ExecutionMode, maxBranches: number, parallelism: number, params: Record<string, number>) {
  return createQueryController(createDeepConfPolicy(params), { mode, maxBranches, parallelism, tokenBudget: 1e9 });
}

describe("deepconf", () => {
  it("has the paper's defaults and validates its parameters", () => {
    expect(createDeepConfPolicy().params).toEqual({ warmup: 16, eta: 90, threshold: 0.95 });
    expect(() => createDeepConfPolicy({ warmup: 0 })).toThrow(PolicyConfigError);
    expect(() => createDeepConfPolicy({ eta: 0 })).toThrow(PolicyConfigError);
    expect(() => createDeepConfPolicy({ threshold: 0.4 })).toThrow(PolicyConfigError);
  });

  it("runs the warm-up as one wave, sets the bar, prunes below it, filters and weighs votes, and stops on the share", () => {
    const c = controller("waves", 10, 6, { warmup: 4, eta: 90, threshold: 0.75 });
    expect(c.start()).toEqual([launch(0, 1, 2, 3)]);
    // No bar yet: a warm-up branch is never stopped for its confidence.
    expect(c.on(progress(0, 1))).toEqual([]);
    // Nothing beyond the warm-up starts before its bar is known.
    expect(c.on(fin(0, "a", 10))).toEqual([]);
    expect(c.on(fin(1, "a", 12))).toEqual([]);
    expect(c.on(fin(2, "b", 14))).toEqual([]);
    // The bar is the 10th percentile of 10, 12, 14, 16: 10.6. Branch 0 (10) is below it and no longer
    // votes: a holds 28 of 42 (66.7%) < 75%.
    expect(c.on(fin(3, "a", 16))).toEqual([launch(4, 5, 6, 7, 8, 9)]);
    expect(c.on(progress(4, 11))).toEqual([]);
    expect(c.on(progress(5, 10.5))).toEqual([belowBar(5, "10.500", "10.600")]);
    // Finished below the bar: it does not vote (b would otherwise hold 24.55 and keep a below 75%).
    expect(c.on(fin(6, "b", 10.55))).toEqual([]);
    expect(c.consensus().votes).toEqual([
      { answer: "a", count: 2, weight: 28 },
      { answer: "b", count: 1, weight: 14 },
    ]);
    // a: 28 + 20 = 48 of 62 = 77.4%.
    expect(c.on(fin(4, "a", 20))).toEqual([finish("consensus", "leader's confidence-weighted share 77.4% ≥ 75%")]);
    expect(c.consensus().leader).toBe("a");
    expect([c.launched, c.finished, c.inFlight]).toEqual([10, 7, 3]);
  });

  it("sets the bar at the (100 - eta) percentile: eta 10 keeps only the most confident", () => {
    const policy = createDeepConfPolicy({ warmup: 4, eta: 10 });
    for (const [b, a, x] of [
      [0, "a", 10],
      [1, "b", 12],
      [2, "a", 14],
      [3, "b", 16],
    ] as const)
      policy.vote(b, a, undefined, view(b, x));
    const running = (index: number, lowest: number) => view(index, lowest, { state: "running" });
    const ctx = (...branches: BranchView[]) => ({
      branches,
      maxBranches: 8,
      launched: branches.length,
      inFlight: 2,
      ended: branches.length - 2,
    });
    const warmViews = [0, 1, 2, 3].map((b) => view(b, 10 + 2 * b));
    // The 90th percentile of 10, 12, 14, 16 is 15.4.
    expect(policy.review!(running(4, 15.3), ctx(...warmViews, running(4, 15.3), running(5, 15.5)))).toEqual([
      { branch: 4, reason: "lowest group confidence 15.300 fell below the warm-up bar 15.400" },
    ]);
    // Only the top warm-up trace (16) votes.
    expect(policy.consensus().votes).toEqual([{ answer: "b", count: 1, weight: 16 }]);
  });

  it("filters below-bar votes, warm-up ones included, whatever the order branches end in", () => {
    const orders = [
      [0, 1, 2, 3],
      [1, 2, 3, 0],
      [3, 0, 2, 1],
    ];
    const answers = ["b", "a", "b", "a"];
    for (const order of orders) {
      const policy = createDeepConfPolicy({ warmup: 4 });
      // Before the bar is known every vote counts.
      policy.vote(order[0]!, answers[order[0]!]!, undefined, view(order[0]!, 10 + 2 * order[0]!));
      expect(policy.consensus().votes, String(order)).toHaveLength(1);
      for (const b of order.slice(1)) policy.vote(b, answers[b]!, undefined, view(b, 10 + 2 * b));
      // Bar 10.6: branch 0 ("b", 10) is out.
      expect(policy.consensus().votes, String(order)).toEqual([
        { answer: "a", count: 2, weight: 28 },
        { answer: "b", count: 1, weight: 14 },
      ]);
    }
    const policy = createDeepConfPolicy({ warmup: 4 });
    [0, 1, 2, 3].forEach((b) => policy.vote(b, answers[b]!, undefined, view(b, 10 + 2 * b)));
    // A later branch below the bar does not vote; one at the bar does.
    policy.vote(4, "b", undefined, view(4, 10.5));
    policy.vote(5, "b", undefined, view(5, 10.6));
    expect(policy.consensus().votes).toEqual([
      { answer: "a", count: 2, weight: 28 },
      { answer: "b", count: 2, weight: 24.6 },
    ]);
    // A second vote for a branch changes nothing.
    policy.vote(5, "a", undefined, view(5, 99));
    expect(policy.consensus().votes[1]).toEqual({ answer: "b", count: 2, weight: 24.6 });
  });

  it("recounts votes of later branches that ended before the bar was known (all-parallel)", () => {
    const policy = createDeepConfPolicy({ warmup: 2 });
    policy.vote(5, "z", undefined, view(5, 1));
    policy.vote(0, "a", undefined, view(0, 10));
    expect(policy.consensus().votes.map((v) => v.answer)).toEqual(["a", "z"]);
    // Bar = 11: branch 5 (1) and branch 0 (10) are out.
    policy.vote(1, "b", undefined, view(1, 20));
    expect(policy.consensus().votes).toEqual([{ answer: "b", count: 1, weight: 20 }]);
  });

  it("prunes a later branch that fell below the bar before it was known, as soon as it is", () => {
    const c = controller("all-parallel", 7, 7, { warmup: 3, eta: 90, threshold: 0.95 });
    expect(c.start()).toEqual([launch(0, 1, 2, 3, 4, 5, 6)]);
    expect(c.on(progress(4, 5))).toEqual([]);
    expect(c.on(progress(3, 30))).toEqual([]);
    expect(c.on(fin(0, "a", 10))).toEqual([]);
    expect(c.on(fin(1, "b", 20))).toEqual([]);
    // Bar = 10th percentile of 10, 20, 30 = 12; branch 4 (5) is stopped, 3 (30) and the unscored ones run on.
    expect(c.on(fin(2, "c", 30))).toEqual([belowBar(4, "5.000", "12.000")]);
    expect(c.inFlight).toBe(3);
  });

  it("sets the bar from the warm-up branches that finished when one of them failed", () => {
    const c = controller("waves", 7, 4, { warmup: 4, eta: 90, threshold: 0.95 });
    expect(c.start()).toEqual([launch(0, 1, 2, 3)]);
    expect(c.on(fin(0, "a", 10))).toEqual([]);
    expect(c.on({ kind: "failed", branch: 1, tokens: 5, reason: "crash" })).toEqual([]);
    expect(c.on(fin(2, "b", 14))).toEqual([]);
    // Bar = 10th percentile of 10, 14 and 18 = 10.8; b 14 against a 18 does not settle it.
    expect(c.on(fin(3, "a", 18))).toEqual([launch(4, 5, 6)]);
    expect(c.on(progress(4, 10.5))).toEqual([belowBar(4, "10.500", "10.800")]);
  });

  it("does not stop on the share before every warm-up branch ended", () => {
    const c = controller("all-parallel", 8, 8, { warmup: 4, threshold: 0.95 });
    c.start();
    // Four later branches agree before the warm-up is done: no stop yet.
    for (const b of [4, 5, 6, 7]) expect(c.on(fin(b, "a")), String(b)).toEqual([]);
    for (const b of [0, 1, 2]) expect(c.on(fin(b, "a")), String(b)).toEqual([]);
    expect(c.on(fin(3, "a"))).toEqual([finish("all_branches_done", "all 8 branches ended")]);
  });

  it("without confidence behaves as a majority vote with a consensus stop after the warm-up", () => {
    const answers = ["a", "a", "b", "a", "a", "a", "b", "a"];
    const c = controller("waves", 8, 8, { warmup: 4, threshold: 0.95 });
    expect(c.start()).toEqual([launch(0, 1, 2, 3)]);
    // Progress without confidence never prunes.
    expect(c.on(progress(0))).toEqual([]);
    const out = answers.map((answer, branch) => c.on(fin(branch, answer)));
    expect(out).toEqual([[], [], [], [launch(4, 5, 6, 7)], [], [], [], [finish("all_branches_done", "all 8 branches ended")]]);
    const majority = createMajorityPolicy();
    answers.forEach((answer, branch) => majority.vote(branch, answer));
    expect(c.consensus()).toEqual(majority.consensus());
    expect(c.consensus().votes).toEqual([
      { answer: "a", count: 6, weight: 6 },
      { answer: "b", count: 2, weight: 2 },
    ]);

    // Unanimous warm-up: 100% ≥ 95% stops right after it.
    const u = controller("waves", 8, 8, { warmup: 4, threshold: 0.95 });
    u.start();
    expect(["x", "x", "x"].map((answer, branch) => u.on(fin(branch, answer)))).toEqual([[], [], []]);
    expect(u.on(fin(3, "x"))).toEqual([finish("consensus", "leader's confidence-weighted share 100.0% ≥ 95%")]);
    expect(u.launched).toBe(4);
  });

  it("treats a malformed confidence as absent instead of failing the vote", () => {
    const policy = createDeepConfPolicy({ warmup: 1 });
    policy.vote(0, "a", undefined, view(0, Number.NaN));
    policy.vote(1, "a", undefined, view(1, -2));
    expect(policy.consensus().votes).toEqual([{ answer: "a", count: 2, weight: 2 }]);
  });

  it("in sequential mode runs one branch at a time and still prunes", () => {
    const c = controller("sequential", 5, 4, { warmup: 3, eta: 90, threshold: 0.95 });
    expect(c.start()).toEqual([launch(0)]);
    expect(c.on(fin(0, "a", 10))).toEqual([launch(1)]);
    expect(c.on(fin(1, "b", 20))).toEqual([launch(2)]);
    // Bar = 12: b 20 against a 30.
    expect(c.on(fin(2, "a", 30))).toEqual([launch(3)]);
    expect(c.on(progress(3, 11.9))).toEqual([belowBar(3, "11.900", "12.000"), launch(4)]);
    expect(c.on(fin(4, "a", 13))).toEqual([finish("all_branches_done", "all 5 branches ended")]);
    expect(c.consensus().votes).toEqual([
      { answer: "a", count: 2, weight: 43 },
      { answer: "b", count: 1, weight: 20 },
    ]);
  });
});
