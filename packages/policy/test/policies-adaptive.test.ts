/**
 * Adaptive-Consistency (Aggarwal et al. 2023): the Beta and Dirichlet stopping criteria, its demand in
 * waves, and the stopOnVerified extension.
 */
import { describe, it, expect } from "vitest";
import { createQueryController } from "../src/controller.js";
import { probabilityLeaderIsLargest } from "../src/dirichlet.js";
import { probabilityLeaderIsMajority } from "../src/beta.js";
import { createAdaptivePolicy } from "../src/policies/adaptive.js";
import { PolicyConfigError } from "../src/policies/config-error.js";
import type { BranchView, Decision, PolicyContext } from "../src/types.js";

const launch = (...branches: number[]): Decision => ({ kind: "launch", branches });
const finish = (reason: string, detail: string): Decision => ({ kind: "finish", reason, detail }) as Decision;

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

/** A context with `ended` branches ended and `inFlight` running, out of `maxBranches`. */
function context(maxBranches: number, ended: number, inFlight = 0): PolicyContext {
  const branches = [...Array<BranchView>(ended + inFlight)].map((_, i) => view(i, { state: i < ended ? "finished" : "running" }));
  return { branches, maxBranches, launched: ended + inFlight, inFlight, ended };
}

/**
 * The Dirichlet criterion computed independently: P(X_0 > max_i X_i) for independent X_i ~ Gamma(c_i + 1),
 * i.e. ∫ f_0(x) Π F_i(x) dx with the closed-form Gamma CDF for integer shapes, by Simpson's rule.
 */
function dirichletReference(counts: number[]): number {
  const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
  const cdf = (a: number, x: number): number => {
    let sum = 0;
    for (let k = 0; k < a; k++) sum += x ** k / factorial(k);
    return 1 - Math.exp(-x) * sum;
  };
  const pdf = (a: number, x: number): number => (x ** (a - 1) * Math.exp(-x)) / factorial(a - 1);
  const shapes = counts.map((c) => c + 1);
  const n = 8000;
  const h = 80 / n;
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const x = i * h;
    let v = pdf(shapes[0]!, x);
    for (const a of shapes.slice(1)) v *= cdf(a, x);
    s += (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * v;
  }
  return (s * h) / 3;
}

function voteAll(policy: ReturnType<typeof createAdaptivePolicy>, answers: Array<string | null>): void {
  answers.forEach((answer, branch) => policy.vote(branch, answer, undefined, view(branch)));
}

describe("adaptive, Beta criterion", () => {
  it("stops after 4 unanimous answers at 0.95 but not after 3", () => {
    const policy = createAdaptivePolicy();
    voteAll(policy, ["5", "5", "5"]);
    expect(policy.settled({ finished: 3, maxBranches: 40 })).toEqual({
      settled: false,
      detail: "P(leader is majority) = 0.938 < 0.95 after 3 answers",
    });
    policy.vote(3, "5", undefined, view(3));
    expect(policy.settled({ finished: 4, maxBranches: 40 })).toEqual({
      settled: true,
      detail: "P(leader is majority) = 0.969 ≥ 0.95 after 4 answers",
    });
    expect(policy.consensus().leaderProbability).toBeCloseTo(0.96875, 12);
  });

  it("looks only at the top two answers", () => {
    // 6–1–1: the Beta criterion ignores the third answer (6 vs 1 gives 0.965).
    const policy = createAdaptivePolicy();
    voteAll(policy, ["a", "a", "b", "a", "a", "c", "a", "a"]);
    expect(policy.settled({ finished: 8, maxBranches: 40 })).toEqual({
      settled: true,
      detail: "P(leader is majority) = 0.965 ≥ 0.95 after 8 answers",
    });
  });
});

describe("adaptive, Dirichlet criterion", () => {
  it("agrees with an independent computation of P(leader has the largest share)", () => {
    for (const counts of [
      [6, 1, 1],
      [7, 1, 1],
      [4, 2, 1],
      [2, 1, 1],
      [3, 2, 2],
      [5, 1],
      [8, 2, 1],
    ]) {
      const estimate = probabilityLeaderIsLargest(counts);
      expect(Math.abs(estimate - dirichletReference(counts)), String(counts)).toBeLessThan(0.012);
      // Deterministic: the same counts give the same probability.
      expect(probabilityLeaderIsLargest(counts)).toBe(estimate);
    }
    expect(probabilityLeaderIsLargest([])).toBe(0);
    // One answer alone: the Beta(n + 1, 1) case.
    expect(probabilityLeaderIsLargest([4])).toBe(0.96875);
    expect(probabilityLeaderIsLargest([0])).toBe(0.5);
  });

  it("draws exactly the Monte Carlo samples it drew before its seed and generator moved to @ttc/stats (pinned)", () => {
    expect(
      [
        [3, 2, 1],
        [5, 1, 1, 1],
        [10, 9, 8],
        [2, 2, 2, 2, 2],
        [7, 3, 0],
      ].map((c) => probabilityLeaderIsLargest(c)),
    ).toEqual([0.58325, 0.84175, 0.45875, 0.206, 0.885]);
  });

  it("with two answers is exactly the Beta criterion", () => {
    for (const [a, b] of [
      [5, 1],
      [12, 5],
      [28, 17],
      [3, 3],
    ] as const)
      expect(probabilityLeaderIsLargest([a, b])).toBe(probabilityLeaderIsMajority(a, b));
    // 12 against 5 is 0.95187: both criteria stop there (a Monte Carlo estimate of 0.9485 would not).
    const policy = createAdaptivePolicy({ dirichlet: 1 });
    voteAll(policy, [...Array<string>(12).fill("a"), ...Array<string>(5).fill("b")]);
    expect(policy.settled({ finished: 17, maxBranches: 40 })).toEqual({
      settled: true,
      detail: "P(leader is majority) = 0.952 ≥ 0.95 after 17 answers (Dirichlet)",
    });
  });

  it("on a 3-way split does not stop where Beta would (6–1–1), and stops at 7–1–1", () => {
    const policy = createAdaptivePolicy({ dirichlet: 1 });
    voteAll(policy, ["a", "a", "b", "a", "a", "c", "a", "a"]);
    const six = policy.settled({ finished: 8, maxBranches: 40 });
    expect(six.settled).toBe(false);
    expect(six.detail).toMatch(/^P\(leader is majority\) = 0\.9[23]\d < 0\.95 after 8 answers \(Dirichlet\)$/);
    expect(policy.consensus().leaderProbability).toBe(probabilityLeaderIsLargest([6, 1, 1]));
    policy.vote(8, "a", undefined, view(8));
    const seven = policy.settled({ finished: 9, maxBranches: 40 });
    expect(seven.settled).toBe(true);
    expect(seven.detail).toMatch(/^P\(leader is majority\) = 0\.9[56]\d ≥ 0\.95 after 9 answers \(Dirichlet\)$/);
    expect(policy.consensus().leader).toBe("a");
  });

  it("through the controller in sequential mode, runs until 7–1–1", () => {
    const c = createQueryController(createAdaptivePolicy({ dirichlet: 1 }), {
      mode: "sequential",
      maxBranches: 40,
      parallelism: 1,
      tokenBudget: 1e9,
    });
    expect(c.start()).toEqual([launch(0)]);
    const answers = ["a", "b", "c", "a", "a", "a", "a", "a"];
    answers.forEach((answer, branch) =>
      expect(c.on({ kind: "finished", branch, answer, tokens: 1 }), String(branch)).toEqual([launch(branch + 1)]),
    );
    const last = c.on({ kind: "finished", branch: 8, answer: "a", tokens: 1 });
    expect(last).toHaveLength(1);
    expect(last[0]).toMatchObject({ kind: "finish", reason: "consensus" });
    expect(c.launched).toBe(9);
  });

  it("stops on 4 unanimous answers like Beta (one answer is the Beta case)", () => {
    const policy = createAdaptivePolicy({ dirichlet: 1 });
    voteAll(policy, ["5", "5", "5"]);
    expect(policy.settled({ finished: 3, maxBranches: 40 })).toEqual({
      settled: false,
      detail: "P(leader is majority) = 0.938 < 0.95 after 3 answers (Dirichlet)",
    });
    policy.vote(3, "5", undefined, view(3));
    expect(policy.settled({ finished: 4, maxBranches: 40 })).toEqual({
      settled: true,
      detail: "P(leader is majority) = 0.969 ≥ 0.95 after 4 answers (Dirichlet)",
    });
  });
});

describe("adaptive demand", () => {
  it("is 4 before any answer at 0.95, and grows with the threshold", () => {
    expect(createAdaptivePolicy().demand!(context(40, 0))).toBe(4);
    expect(createAdaptivePolicy({ dirichlet: 1 }).demand!(context(40, 0))).toBe(4);
    // 1 - 0.5^(n+1) ≥ 0.99 first at n = 6.
    expect(createAdaptivePolicy({ threshold: 0.99 }).demand!(context(40, 0))).toBe(6);
    expect(createAdaptivePolicy({ threshold: 0.7 }).demand!(context(40, 0))).toBe(1);
  });

  it("after a, a, a, b asks for 3 more (6–1 settles, 5–1 does not)", () => {
    const policy = createAdaptivePolicy();
    voteAll(policy, ["a", "a", "a", "b"]);
    expect(policy.demand!(context(40, 4))).toBe(3);
    // What is in flight is not subtracted: demand is the target in flight.
    expect(policy.demand!(context(40, 4, 2))).toBe(3);
  });

  it("with Dirichlet on a, b, c asks for 6 where Beta asks for 5", () => {
    const beta = createAdaptivePolicy();
    const dirichlet = createAdaptivePolicy({ dirichlet: 1 });
    voteAll(beta, ["a", "b", "c"]);
    voteAll(dirichlet, ["a", "b", "c"]);
    expect(beta.demand!(context(40, 3))).toBe(5);
    expect(dirichlet.demand!(context(40, 3))).toBe(6);
  });

  it("asks for every remaining branch when no number of them could settle it", () => {
    const policy = createAdaptivePolicy();
    voteAll(policy, ["a", "b", "a", "b"]);
    expect(policy.demand!(context(8, 4))).toBe(4);
    // Null answers end branches without voting.
    const nulls = createAdaptivePolicy();
    voteAll(nulls, [null, null]);
    expect(nulls.demand!(context(3, 2))).toBe(1);
  });

  it("in waves with parallelism 8: first wave 4, then 3 after a, a, a, b", () => {
    const c = createQueryController(createAdaptivePolicy(), { mode: "waves", maxBranches: 40, parallelism: 8, tokenBudget: 1e9 });
    expect(c.start()).toEqual([launch(0, 1, 2, 3)]);
    expect(["a", "a", "a"].map((answer, branch) => c.on({ kind: "finished", branch, answer, tokens: 1 }))).toEqual([[], [], []]);
    expect(c.on({ kind: "finished", branch: 3, answer: "b", tokens: 1 })).toEqual([launch(4, 5, 6)]);
    // A dissenting vote raises the demand again: 3–2 needs 5 more, capped by the 8-wide wave.
    expect(c.on({ kind: "finished", branch: 4, answer: "b", tokens: 1 })).toEqual([launch(7, 8, 9)]);
    expect(c.inFlight).toBe(5);
  });

  it("in waves the parallelism caps the demand", () => {
    const c = createQueryController(createAdaptivePolicy(), { mode: "waves", maxBranches: 40, parallelism: 2, tokenBudget: 1e9 });
    expect(c.start()).toEqual([launch(0, 1)]);
    expect(c.on({ kind: "finished", branch: 0, answer: "a", tokens: 1 })).toEqual([launch(2)]);
    expect(c.on({ kind: "finished", branch: 1, answer: "a", tokens: 1 })).toEqual([launch(3)]);
    expect(c.on({ kind: "finished", branch: 2, answer: "a", tokens: 1 })).toEqual([]);
    expect(c.on({ kind: "finished", branch: 3, answer: "a", tokens: 1 })).toEqual([
      finish("consensus", "P(leader is majority) = 0.969 ≥ 0.95 after 4 answers"),
    ]);
  });
});

describe("adaptive stopOnVerified", () => {
  it("settles on a verified finish, answering it even against the vote", () => {
    const policy = createAdaptivePolicy({ stopOnVerified: 1 });
    voteAll(policy, ["a", "a"]);
    expect(policy.settled({ finished: 2, maxBranches: 40 }).settled).toBe(false);
    policy.vote(2, "b", undefined, view(2, { verified: true }));
    expect(policy.settled({ finished: 3, maxBranches: 40 })).toEqual({ settled: true, detail: 'an exact checker verified "b"' });
    expect(policy.consensus()).toEqual({
      leader: "b",
      votes: [
        { answer: "b", count: 1, weight: 1 },
        { answer: "a", count: 2, weight: 2 },
      ],
      support: 1 / 3,
      leaderProbability: 1,
    });
    // A later verified answer does not replace the first.
    policy.vote(3, "c", undefined, view(3, { verified: true }));
    expect(policy.consensus().leader).toBe("b");
  });

  it("through the controller stops the query at the verified finish", () => {
    const c = createQueryController(createAdaptivePolicy({ stopOnVerified: 1 }), {
      mode: "all-parallel",
      maxBranches: 8,
      parallelism: 8,
      tokenBudget: 1e9,
    });
    c.start();
    expect(c.on({ kind: "finished", branch: 2, answer: "x", tokens: 1 })).toEqual([]);
    expect(c.on({ kind: "finished", branch: 5, answer: "24", tokens: 1, verified: true })).toEqual([
      finish("consensus", 'an exact checker verified "24"'),
    ]);
    expect(c.consensus().leader).toBe("24");
  });

  it("is off by default, and ignores a verified flag without an answer", () => {
    const off = createAdaptivePolicy();
    off.vote(0, "b", undefined, view(0, { verified: true }));
    expect(off.settled({ finished: 1, maxBranches: 40 })).toEqual({
      settled: false,
      detail: "P(leader is majority) = 0.750 < 0.95 after 1 answer",
    });
    const on = createAdaptivePolicy({ stopOnVerified: 1 });
    on.vote(0, null, undefined, view(0, { verified: true }));
    expect(on.settled({ finished: 1, maxBranches: 40 }).settled).toBe(false);
  });

  it("rejects parameters other than 0 or 1", () => {
    for (const params of [{ dirichlet: 2 }, { dirichlet: 0.5 }, { stopOnVerified: -1 }, { stopOnVerified: 0.3 }]) {
      const key = Object.keys(params)[0]!;
      expect(() => createAdaptivePolicy(params), key).toThrow(PolicyConfigError);
      try {
        createAdaptivePolicy(params);
      } catch (error) {
        expect((error as PolicyConfigError).field).toBe(`policy.params.${key}`);
      }
    }
  });
});
