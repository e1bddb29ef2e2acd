/**
 * simulateQuery: one query replayed in virtual time through the pure controller and policies. On
 * small hand-built records (every step exactly 10 tokens, so the arithmetic can be done by hand) and
 * on the real Qwen2.5-Math corpus in ../shared/data (read-only; a missing file fails, it is not skipped).
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { replayOrder, runImporter, type CorpusBranch, type CorpusRecord } from "@ttc/corpus";
import type { Decision, ExecutionMode } from "@ttc/policy";
import { prepareProblem, type PreparedProblem } from "../src/prepare.js";
import { simulateQuery, type QueryOutcome } from "../src/simulate.js";
import { instantiate, parsePolicySpec } from "../src/spec.js";
import { querySeed } from "../src/evaluate.js";

// ---------------------------------------------------------------------------------------------
// Hand-built records

/** One step (one line) of exactly `tokens` chars/4 tokens: the text padded with spaces to 4·tokens characters. */
function step(text: string, tokens = 10): string {
  const width = tokens * 4 - 1;
  if (text.length > width) throw new Error(`step "${text}" is longer than ${width} characters`);
  return `${text.padEnd(width)}\n`;
}

/** A branch of `steps` 10-token steps whose last one says "The answer is <answer>." */
function branch(answer: string, steps: number): CorpusBranch {
  const lines = Array.from({ length: steps - 1 }, (_, i) => step(`Step ${i + 1}: reasoning about ${answer}.`));
  return fromSteps([...lines, step(`The answer is ${answer}.`)]);
}

/** A branch made of the given step lines (each a multiple of 4 characters long). */
function fromSteps(lines: string[]): CorpusBranch {
  const text = lines.join("");
  expect(text.length % 4).toBe(0);
  return { text, tokens: text.length / 4 };
}

function record(id: string, branches: CorpusBranch[], gold = "7"): CorpusRecord {
  return { id, problem: `hand-built problem ${id}`, gold, format: "number", source: "test", tokenCounting: "chars/4", branches };
}

/**
 * The branches laid out so that branch k of a query with seed `seed` replays `wanted[k]`
 * (the replay order maps launch index k to recorded branch order[k]).
 */
function arrange(wanted: CorpusBranch[], seed: number): CorpusBranch[] {
  const order = replayOrder(wanted.length, seed);
  const out: CorpusBranch[] = new Array<CorpusBranch>(wanted.length);
  order.forEach((recorded, k) => (out[recorded] = wanted[k]!));
  return out;
}

function simulate(
  problem: PreparedProblem,
  spec: string,
  mode: ExecutionMode,
  o: { seed: number; speed?: number; parallelism?: number; maxBranches?: number },
): QueryOutcome {
  const s = parsePolicySpec(spec, "none");
  return simulateQuery(problem, {
    policy: instantiate(s),
    verifier: s.verifier,
    mode,
    parallelism: o.parallelism ?? 4,
    maxBranches: o.maxBranches ?? problem.branches.length,
    tokensPerSecond: o.speed ?? 10,
    seed: o.seed,
  });
}

const launches = (ds: Decision[]): number[][] =>
  ds.filter((d): d is Extract<Decision, { kind: "launch" }> => d.kind === "launch").map((d) => d.branches);

// ---------------------------------------------------------------------------------------------
// The real Qwen2.5-Math corpus

const QWEN = fileURLToPath(new URL("../../../../shared/data/qwen25-math-cot-maj8.jsonl", import.meta.url));
let qwenProblems: PreparedProblem[] | null = null;
function qwen(): PreparedProblem[] {
  if (!qwenProblems) {
    if (!existsSync(QWEN))
      throw new Error(`recorded corpus missing: expected it at ${QWEN} (the shared data folder beside the repository)`);
    qwenProblems = runImporter("qwen-math-maj", readFileSync(QWEN, "utf8"), { origin: QWEN }).map(prepareProblem);
  }
  return qwenProblems;
}

// ---------------------------------------------------------------------------------------------

describe("hand-built records", () => {
  it("are what the tests assume: 10 tokens per step, answers extracted", () => {
    const p = prepareProblem(record("shape", [branch("7", 3), branch("9", 1)]));
    expect(p.branches[0]!.stepTokens).toEqual([10, 10, 10]);
    expect(p.branches[0]!.cumulative).toEqual([10, 20, 30]);
    expect(p.branches[0]!.tokens).toBe(30);
    expect(p.branches.map((b) => b.answer)).toEqual(["7", "9"]);
    expect(p.isCorrect("7")).toBe(true);
    expect(p.isCorrect("9")).toBe(false);
    expect(p.isCorrect(null)).toBe(false);
  });
});

describe("determinism and replay order", () => {
  const answers = ["1", "2", "3", "4", "5", "6", "7", "8"];
  const problem = prepareProblem(
    record(
      "perm",
      answers.map((a, i) => branch(a, i + 1)),
    ),
  );

  it("the same seed gives the identical outcome, decisions included", () => {
    for (const [spec, mode] of [
      ["majority", "all-parallel"],
      ["adaptive", "waves"],
      ["esc:window=2", "sequential"],
      ["majority@arith", "waves"],
    ] as const) {
      for (const seed of [1, 99, 123456789]) {
        const a = simulate(problem, spec, mode, { seed });
        const b = simulate(problem, spec, mode, { seed });
        expect(b).toEqual(a);
        expect(a.decisions.length).toBeGreaterThan(0);
      }
    }
    // And on real traces, where ties and equal arrival times happen.
    for (const p of qwen().slice(0, 8)) {
      const seed = querySeed(5, 0, 0);
      expect(simulate(p, "adaptive", "waves", { seed, parallelism: 3 })).toEqual(
        simulate(p, "adaptive", "waves", { seed, parallelism: 3 }),
      );
    }
  });

  it("branch k of a query replays recorded branch replayOrder(n, seed)[k]; different seeds permute them", () => {
    const firsts = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const order = replayOrder(answers.length, seed);
      // One branch allowed: the query is exactly the first branch of the replay order.
      const one = simulate(problem, "majority", "sequential", { seed, maxBranches: 1 });
      expect(one.answer).toBe(answers[order[0]!]);
      expect(one.tokens).toBe((order[0]! + 1) * 10);
      firsts.add(one.answer!);
      // Three allowed, one at a time: the first three of the order, in that order.
      const three = simulate(problem, "majority", "sequential", { seed, maxBranches: 3 });
      expect(three.tokens).toBe(order.slice(0, 3).reduce((s, r) => s + (r + 1) * 10, 0));
      expect(three.latency).toBeCloseTo(three.tokens / 10, 9);
    }
    expect(firsts.size).toBeGreaterThan(3);
    // The orders themselves are permutations, and differ between seeds.
    const orders = new Set([1, 2, 3, 4, 5].map((s) => replayOrder(8, s).join(",")));
    expect(orders.size).toBe(5);
    for (const o of orders) expect(o.split(",").map(Number).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("different seeds change the outcome of a split vote", () => {
    // Four 7s and four 9s: under adaptive × sequential which answer wins depends on the order.
    const split = prepareProblem(
      record("split", [
        ...Array(4)
          .fill(0)
          .map(() => branch("7", 2)),
        ...Array(4)
          .fill(0)
          .map(() => branch("9", 2)),
      ]),
    );
    const seen = new Set<string | null>();
    for (let seed = 1; seed <= 30; seed++) seen.add(simulate(split, "adaptive:threshold=0.8", "sequential", { seed }).answer);
    expect(seen).toEqual(new Set(["7", "9"]));
  });
});

describe("token accounting", () => {
  it("majority × all-parallel generates every branch's tokens, latency max(tokens)/speed (hand-built)", () => {
    const p = prepareProblem(record("all", [branch("7", 3), branch("7", 5), branch("9", 2), branch("7", 4)]));
    const o = simulate(p, "majority", "all-parallel", { seed: 3, speed: 7 });
    expect(o.tokens).toBe(30 + 50 + 20 + 40);
    expect(o.latency).toBeCloseTo(50 / 7, 12);
    expect(o.answer).toBe("7");
    expect(o.correct).toBe(true);
    expect(o.branchesLaunched).toBe(4);
    expect(o.stopReason).toBe("all_branches_done");
    expect(launches(o.decisions)).toEqual([[0, 1, 2, 3]]);
    expect(o.decisions.at(-1)).toMatchObject({ kind: "finish", reason: "all_branches_done" });
  });

  it("majority × all-parallel on every problem of the Qwen file: the sum of all branch tokens, max(tokens)/speed", () => {
    const speed = 37;
    qwen().forEach((p, i) => {
      const o = simulate(p, "majority", "all-parallel", { seed: querySeed(1, i, 0), speed });
      const lengths = p.branches.map((b) => b.tokens);
      expect(o.tokens).toBe(lengths.reduce((s, t) => s + t, 0));
      expect(o.latency).toBeCloseTo(Math.max(...lengths) / speed, 9);
      expect(o.branchesLaunched).toBe(8);
      expect(o.stopReason).toBe("all_branches_done");
      expect(o.verifierCalls).toBe(0);
    });
  });

  it("a query that stops early charges each in-flight branch round((t − start)·speed), capped at its length", () => {
    // Adaptive (0.95) stops at the 4th agreeing vote: P(4, 0) = 0.969.
    const seed = 11;
    const wanted = [
      branch("7", 4), // k0..k2: 40 tokens, finish at 40/7 s
      branch("7", 4),
      branch("7", 4),
      fromSteps([step("The answer is 7.", 50)]), // k3: one 50-token step, finishes at 50/7 s: the 4th vote
      fromSteps([step("Half of it: 3 + 4 = 7.", 30), step("The answer is 9.", 30)]), // k4: 60 tokens, mid-step at the stop
      fromSteps([step("The answer is 9.", 50)]), // k5: arrives at the same instant, after k3: charged its full 50
      fromSteps([step("The answer is 7, after a long think.", 400)]), // k6: one long step, no chunk yet at the stop
    ];
    const p = prepareProblem(record("early", arrange(wanted, seed)));
    const speed = 7;
    const o = simulate(p, "adaptive", "all-parallel", { seed, speed });
    const t = 50 / speed;
    expect(o.stopReason).toBe("consensus");
    expect(o.latency).toBeCloseTo(t, 12);
    expect(o.answer).toBe("7");
    expect(o.branchesLaunched).toBe(7);
    const charge = (length: number) => Math.min(length, Math.round(t * speed));
    // Finished: 3 × 40 and 50. In flight: k4 50 of 60 (its last chunk said 30), k5 50 of 50, k6 50 of 400.
    expect(charge(60)).toBe(50);
    expect(o.tokens).toBe(3 * 40 + 50 + charge(60) + charge(50) + charge(400));
    expect(o.tokens).toBe(320);
    expect(o.decisions.at(-1)).toMatchObject({ kind: "finish", reason: "consensus" });
  });

  it("the in-flight charge follows the elapsed time at any speed", () => {
    const seed = 4;
    const wanted = [
      branch("7", 1),
      branch("7", 1),
      branch("7", 1),
      branch("7", 2),
      branch("9", 9),
      fromSteps([step("The answer is 9.", 25)]),
    ];
    const p = prepareProblem(record("speeds", arrange(wanted, seed)));
    for (const speed of [1, 3, 7, 10.5, 333]) {
      const o = simulate(p, "adaptive", "all-parallel", { seed, speed });
      // The 4th "7" finishes at 20/speed; the two 9s (90 and 25 tokens) have generated 20 each by then.
      expect(o.latency).toBeCloseTo(20 / speed, 12);
      expect(o.tokens).toBe(10 + 10 + 10 + 20 + 20 + 20);
    }
  });

  it("sequential: latency is the sum of the lengths run over the speed (hand-built)", () => {
    const p = prepareProblem(record("seq", [branch("7", 4), branch("7", 6), branch("9", 3)]));
    const o = simulate(p, "majority", "sequential", { seed: 8, speed: 4 });
    expect(o.tokens).toBe(130);
    expect(o.latency).toBeCloseTo(130 / 4, 12);
    // One launch per branch, each after the previous ended.
    expect(launches(o.decisions)).toEqual([[0], [1], [2]]);
  });

  it("sequential on the Qwen file: the first `launched` branches of the replay order, latency = their tokens / speed", () => {
    const speed = 50;
    for (const seed of [1, 2]) {
      qwen().forEach((p, i) => {
        const qs = querySeed(seed, i, 0);
        for (const spec of ["adaptive", "esc:window=3", "majority"]) {
          const o = simulate(p, spec, "sequential", { seed: qs, speed });
          const order = replayOrder(p.branches.length, qs);
          const run = order.slice(0, o.branchesLaunched).reduce((s, r) => s + p.branches[r]!.tokens, 0);
          expect(o.tokens).toBe(run);
          expect(o.latency).toBeCloseTo(run / speed, 9);
          expect(launches(o.decisions)).toEqual(Array.from({ length: o.branchesLaunched }, (_, k) => [k]));
        }
      });
    }
  });
});

describe("adaptive × waves against adaptive × sequential (the waves design property)", () => {
  it("launches the same prefix of the replay order and generates the same tokens on every Qwen problem, never slower", () => {
    let earlier = 0;
    let compared = 0;
    for (const seed of [1, 2, 3, 17]) {
      qwen().forEach((p, i) => {
        const qs = querySeed(seed, i, 0);
        const sequential = simulate(p, "adaptive", "sequential", { seed: qs, speed: 50 });
        for (const parallelism of [2, 4, 8]) {
          const waves = simulate(p, "adaptive", "waves", { seed: qs, speed: 50, parallelism });
          const where = `problem ${i} (${p.record.id}), seed ${seed}, parallelism ${parallelism}`;
          // Launch indexes are always 0..launched-1 and branch k replays order[k]: equal counts = the same branch set.
          expect(waves.branchesLaunched, where).toBe(sequential.branchesLaunched);
          expect(launches(waves.decisions).flat(), where).toEqual(Array.from({ length: waves.branchesLaunched }, (_, k) => k));
          expect(waves.tokens, where).toBe(sequential.tokens);
          expect(waves.answer, where).toBe(sequential.answer);
          expect(waves.stopReason, where).toBe(sequential.stopReason);
          expect(waves.latency, where).toBeLessThanOrEqual(sequential.latency + 1e-9);
          if (waves.latency < sequential.latency - 1e-9) earlier++;
          compared++;
        }
      });
    }
    expect(compared).toBe(4 * 48 * 3);
    // Waves are not just sequential under another name: they answer sooner on many queries.
    expect(earlier).toBeGreaterThan(compared / 4);
  });
});

describe("verifier pruning", () => {
  const bad = fromSteps([
    step("We have 2 + 2 = 4 apples here."),
    step("Then 3 + 4 = 8 apples in total."), // wrong: pruned here, after 20 tokens
    step("Add 1 more to that."),
    step("The answer is 9."),
  ]);
  const good = (filler: string) =>
    fromSteps([step("We have 2 + 2 = 4 apples here."), step(`Then 3 + 4 = 7 ${filler}.`), step("The answer is 7.")]);

  it("arith rejects a wrong equation in step 2: the branch is pruned there, charged only its first two steps", () => {
    const p = prepareProblem(record("arith", [bad, good("apples"), good("in all")]));
    const o = simulate(p, "majority@arith", "all-parallel", { seed: 5, speed: 10 });
    expect(o.branchesPruned).toBe(1);
    expect(o.tokens).toBe(20 + 30 + 30);
    expect(o.answer).toBe("7");
    expect(o.correct).toBe(true);
    expect(o.latency).toBeCloseTo(3, 12);
    const prune = o.decisions.find((d) => d.kind === "prune");
    expect(prune).toBeDefined();
    expect(prune).toMatchObject({ kind: "prune", reason: expect.stringContaining("3 + 4 = 8 is wrong (3 + 4 = 7)") });
    // The pruned launch index is the one that replays the bad branch.
    const order = replayOrder(3, 5);
    expect((prune as Extract<Decision, { kind: "prune" }>).branch).toBe(order.indexOf(0));
    // Calls: the bad branch at steps 1 and 2; each good one at steps 1 and 2 and once finished.
    expect(o.verifierCalls).toBe(2 + 3 + 3);
    // Without the verifier the bad branch runs to its end and votes.
    const plain = simulate(p, "majority", "all-parallel", { seed: 5, speed: 10 });
    expect(plain.branchesPruned).toBe(0);
    expect(plain.tokens).toBe(40 + 30 + 30);
    expect(plain.latency).toBeCloseTo(4, 12);
  });

  it("in sequential mode the pruned branch's remaining steps are never generated", () => {
    for (let seed = 1; seed <= 6; seed++) {
      const p = prepareProblem(record("arith-seq", [bad, good("apples"), good("in all")]));
      const o = simulate(p, "majority@arith", "sequential", { seed, speed: 10 });
      expect(o.tokens).toBe(80);
      expect(o.latency).toBeCloseTo(8, 12);
      expect(o.branchesPruned).toBe(1);
      expect(o.answer).toBe("7");
    }
  });

  it("a wrong equation ending the trace is judged only once the branch finished: pruned with all its tokens, no vote", () => {
    // Partial checks leave an equation at the very end alone (it may still grow: "= 6" before "5").
    const lateSlip = fromSteps([step("We have 2 + 2 = 4 apples here."), step("So 7 + 1 = 9")]);
    const p = prepareProblem(record("late", [lateSlip, good("apples")]));
    const o = simulate(p, "majority@arith", "all-parallel", { seed: 2, speed: 10 });
    expect(o.branchesPruned).toBe(1);
    expect(o.tokens).toBe(20 + 30);
    expect(o.answer).toBe("7");
    const prune = o.decisions.find((d) => d.kind === "prune") as Extract<Decision, { kind: "prune" }>;
    expect(prune.reason).toContain("7 + 1 = 9 is wrong");
  });
});
