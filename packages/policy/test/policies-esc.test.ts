/**
 * Early-Stopping Self-Consistency (Li et al. 2024): windows judged in index order, the window answer,
 * the majority fallback, and the window-by-window demand in waves.
 */
import { describe, it, expect } from "vitest";
import { createQueryController } from "../src/controller.js";
import { createEscPolicy } from "../src/policies/esc.js";
import { PolicyConfigError } from "../src/policies/config-error.js";
import type { BranchView, Decision, ExecutionMode, PolicyContext, QueryEvent } from "../src/types.js";

const launch = (...branches: number[]): Decision => ({ kind: "launch", branches });
const finish = (reason: string, detail: string): Decision => ({ kind: "finish", reason, detail }) as Decision;
const fin = (branch: number, answer: string | null): QueryEvent => ({ kind: "finished", branch, answer, tokens: 1 });

function controller(mode: ExecutionMode, maxBranches: number, parallelism: number, window = 3) {
  return createQueryController(createEscPolicy({ window }), { mode, maxBranches, parallelism, tokenBudget: 1e9 });
}

function context(launched: number, inFlight: number, maxBranches = 20): PolicyContext {
  const branches = [...Array<BranchView>(launched)].map((_, i): BranchView => ({
    index: i,
    state: i < launched - inFlight ? "finished" : "running",
    tokens: 0,
    stepScores: [],
    score: undefined,
    confidence: undefined,
    answer: undefined,
    verified: false,
  }));
  return { branches, maxBranches, launched, inFlight, ended: launched - inFlight };
}

describe("esc", () => {
  it("has window 5 by default and rejects a window below 1 or fractional", () => {
    expect(createEscPolicy().params).toEqual({ window: 5 });
    expect(createEscPolicy({ window: 3 }).name).toBe("esc");
    expect(() => createEscPolicy({ window: 0 })).toThrow(PolicyConfigError);
    expect(() => createEscPolicy({ window: 2.5 })).toThrow(PolicyConfigError);
  });

  it("stops at the first unanimous window, answering with it", () => {
    const c = controller("all-parallel", 9, 9);
    expect(c.start()).toEqual([launch(0, 1, 2, 3, 4, 5, 6, 7, 8)]);
    // Window 1 (branches 0–2) splits; window 2 (3–5) agrees.
    for (const [b, a] of [
      [0, "a"],
      [1, "a"],
      [2, "b"],
      [3, "c"],
      [4, "c"],
    ] as const)
      expect(c.on(fin(b, a)), String(b)).toEqual([]);
    expect(c.on(fin(5, "c"))).toEqual([finish("consensus", 'window 2 (3 branches) agreed on "c"')]);
    expect(c.consensus().leader).toBe("c");
  });

  it("does not stop on a later unanimous window while an earlier one is incomplete", () => {
    const c = controller("all-parallel", 9, 9);
    c.start();
    // Window 2 agrees on "x" first, but window 1 is still open.
    for (const b of [3, 4, 5]) expect(c.on(fin(b, "x")), String(b)).toEqual([]);
    expect(c.on(fin(0, "y"))).toEqual([]);
    expect(c.on(fin(1, "y"))).toEqual([]);
    // Window 1 completes unanimous on "y": it is the first window in order, so it wins.
    expect(c.on(fin(2, "y"))).toEqual([finish("consensus", 'window 1 (3 branches) agreed on "y"')]);
    expect(c.consensus().leader).toBe("y");
  });

  it("settles on the later window once the earlier one completes without agreeing", () => {
    const c = controller("all-parallel", 9, 9);
    c.start();
    for (const b of [3, 4, 5]) c.on(fin(b, "x"));
    c.on(fin(0, "y"));
    c.on(fin(1, "z"));
    expect(c.on(fin(2, "y"))).toEqual([finish("consensus", 'window 2 (3 branches) agreed on "x"')]);
  });

  it("answers with the window answer even when it does not lead the whole tally", () => {
    const policy = createEscPolicy({ window: 3 });
    // Window 2 (3–5) and most of window 3 say "a", but window 1 (0–2) is the first to agree, on "c".
    for (const b of [3, 4, 5, 6, 7]) policy.vote(b, "a");
    for (const b of [0, 1, 2]) policy.vote(b, "c");
    expect(policy.settled({ finished: 8, maxBranches: 9 })).toEqual({ settled: true, detail: 'window 1 (3 branches) agreed on "c"' });
    const { leaderProbability, ...rest } = policy.consensus();
    expect(rest).toEqual({
      leader: "c",
      votes: [
        { answer: "c", count: 3, weight: 3 },
        { answer: "a", count: 5, weight: 5 },
      ],
      support: 3 / 8,
    });
    // The posterior is the window answer's (3 against 5): P(Binomial(9, 1/2) ≤ 3) = 130/512.
    expect(leaderProbability).toBeCloseTo(130 / 512, 12);
  });

  it("falls back to the majority over every branch when no window agrees", () => {
    const c = controller("waves", 7, 7);
    // A final partial window (branch 6 alone) never counts as agreeing.
    const answers = ["a", "b", "a", "b", "a", "a", "a"];
    expect(c.start()).toEqual([launch(0, 1, 2)]);
    const out = answers.map((answer, branch) => c.on(fin(branch, answer)));
    expect(out).toEqual([
      [],
      [],
      [launch(3, 4, 5)],
      [],
      [],
      [launch(6)],
      [finish("all_branches_done", "no window of 3 agreed; majority over all 7 branches")],
    ]);
    expect(c.consensus().leader).toBe("a");
    expect(c.consensus().votes).toEqual([
      { answer: "a", count: 5, weight: 5 },
      { answer: "b", count: 2, weight: 2 },
    ]);
  });

  it("counts a failed or answerless branch as breaking its window's agreement", () => {
    const c = controller("all-parallel", 6, 6);
    c.start();
    c.on(fin(0, "a"));
    c.on({ kind: "failed", branch: 1, tokens: 1, reason: "crash" });
    expect(c.on(fin(2, "a"))).toEqual([]);
    c.on(fin(3, null));
    c.on(fin(4, null));
    expect(c.on(fin(5, null))).toEqual([finish("all_branches_done", "no window of 3 agreed; majority over all 6 branches")]);
    expect(c.consensus().leader).toBe("a");
  });

  it("in sequential mode stops after the first window when it agrees", () => {
    const c = controller("sequential", 9, 4);
    expect(c.start()).toEqual([launch(0)]);
    expect(c.on(fin(0, "q"))).toEqual([launch(1)]);
    expect(c.on(fin(1, "q"))).toEqual([launch(2)]);
    expect(c.on(fin(2, "q"))).toEqual([finish("consensus", 'window 1 (3 branches) agreed on "q"')]);
    expect(c.launched).toBe(3);
  });

  describe("demand", () => {
    it("opens a window only when none is in flight, and finishes launching a partly launched one", () => {
      const policy = createEscPolicy({ window: 3 });
      expect(policy.demand!(context(0, 0))).toBe(3);
      // Window fully launched, two still running: nothing new.
      expect(policy.demand!(context(3, 2))).toBe(2);
      expect(policy.demand!(context(3, 0))).toBe(3);
      // Two of a window launched, one running: keep it and launch the third.
      expect(policy.demand!(context(5, 1))).toBe(2);
      expect(policy.demand!(context(4, 0))).toBe(2);
    });

    it("in waves with parallelism 8 runs window by window", () => {
      const c = controller("waves", 9, 8);
      expect(c.start()).toEqual([launch(0, 1, 2)]);
      expect(c.on(fin(0, "a"))).toEqual([]);
      expect(c.on(fin(1, "a"))).toEqual([]);
      expect(c.on(fin(2, "b"))).toEqual([launch(3, 4, 5)]);
      expect(c.on(fin(4, "d"))).toEqual([]);
      expect(c.on(fin(3, "d"))).toEqual([]);
      expect(c.on(fin(5, "d"))).toEqual([finish("consensus", 'window 2 (3 branches) agreed on "d"')]);
      expect(c.launched).toBe(6);
    });

    it("in waves narrower than the window fills the window before opening the next", () => {
      const c = controller("waves", 9, 2);
      expect(c.start()).toEqual([launch(0, 1)]);
      expect(c.on(fin(0, "a"))).toEqual([launch(2)]);
      expect(c.on(fin(1, "b"))).toEqual([]);
      expect(c.on(fin(2, "a"))).toEqual([launch(3, 4)]);
      expect(c.on(fin(3, "c"))).toEqual([launch(5)]);
      expect(c.on(fin(4, "c"))).toEqual([]);
      expect(c.on(fin(5, "c"))).toEqual([finish("consensus", 'window 2 (3 branches) agreed on "c"')]);
    });
  });
});
