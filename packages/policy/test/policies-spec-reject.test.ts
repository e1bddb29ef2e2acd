/**
 * Speculative rejection (Sun et al. 2024): a checkpoint is judged once every running branch reached it,
 * the lowest floor(alpha · n) partial scores are stopped, and the survivors finish for best-of-N.
 */
import { describe, it, expect } from "vitest";
import { createQueryController } from "../src/controller.js";
import { createSpecRejectPolicy } from "../src/policies/spec-reject.js";
import { PolicyConfigError } from "../src/policies/config-error.js";
import type { Decision, ExecutionMode, QueryEvent } from "../src/types.js";

const launch = (...branches: number[]): Decision => ({ kind: "launch", branches });
const finish = (reason: string, detail: string): Decision => ({ kind: "finish", reason, detail }) as Decision;
const reject = (branch: number, checkpoint: number, score: string, percent = 50, every = 100): Decision => ({
  kind: "prune",
  branch,
  reason: `checkpoint ${checkpoint} (${checkpoint * every} tokens): partial score ${score} in the lowest ${percent}%`,
});
const at = (branch: number, tokens: number, score: number): QueryEvent => ({ kind: "progress", branch, tokens, score });
const fin = (branch: number, answer: string | null, score: number): QueryEvent => ({
  kind: "finished",
  branch,
  answer,
  tokens: 300,
  score,
});

function controller(
  mode: ExecutionMode,
  maxBranches: number,
  parallelism: number,
  params: Record<string, number> = { checkpointTokens: 100, rejectionRate: 0.5 },
) {
  return createQueryController(createSpecRejectPolicy(params), { mode, maxBranches, parallelism, tokenBudget: 1e9 });
}

describe("spec-reject", () => {
  it("has the defaults and validates alpha in (0, 1)", () => {
    expect(createSpecRejectPolicy().params).toEqual({ rejectionRate: 0.5, checkpointTokens: 256 });
    for (const rejectionRate of [0, 1, 1.5]) expect(() => createSpecRejectPolicy({ rejectionRate })).toThrow(PolicyConfigError);
    expect(() => createSpecRejectPolicy({ checkpointTokens: 0 })).toThrow(PolicyConfigError);
  });

  it("judges a checkpoint only when every running branch reached it, with the score each had there", () => {
    const c = controller("all-parallel", 4, 4);
    expect(c.start()).toEqual([launch(0, 1, 2, 3)]);
    expect(c.on(at(0, 100, 0.9))).toEqual([]);
    expect(c.on(at(1, 120, 0.2))).toEqual([]);
    expect(c.on(at(2, 150, 0.6))).toEqual([]);
    expect(c.on(at(3, 90, 0.1))).toEqual([]);
    // Branch 0's later, lower score does not change its standing at checkpoint 1.
    expect(c.on(at(0, 150, 0.01))).toEqual([]);
    // All four reached checkpoint 1: floor(0.5 · 4) = 2 lowest stop, lowest first.
    expect(c.on(at(3, 110, 0.05))).toEqual([reject(3, 1, "0.050"), reject(1, 1, "0.200")]);
    // Checkpoint 2: the two survivors; floor(0.5 · 2) = 1.
    expect(c.on(at(0, 200, 0.3))).toEqual([]);
    expect(c.on(at(2, 210, 0.8))).toEqual([reject(0, 2, "0.300")]);
    // Then best-of-N over what finished.
    expect(c.on(fin(2, "x", 0.85))).toEqual([finish("all_branches_done", "best verifier score 0.850 among 4 branches")]);
    expect(c.consensus().leader).toBe("x");
  });

  it("waits for a queued branch that has not started", () => {
    const c = controller("all-parallel", 3, 3);
    c.start();
    expect(c.on(at(0, 100, 0.9))).toEqual([]);
    expect(c.on(at(1, 100, 0.1))).toEqual([]);
    expect(c.on(at(2, 100, 0.5))).toEqual([reject(1, 1, "0.100")]);
  });

  it("judges without a branch that finished before the checkpoint", () => {
    const c = controller("all-parallel", 3, 3);
    c.start();
    expect(c.on(at(0, 100, 0.9))).toEqual([]);
    expect(c.on(at(2, 100, 0.3))).toEqual([]);
    // Branch 1 finishing leaves 0 and 2, both past checkpoint 1.
    expect(c.on(fin(1, "a", 0.5))).toEqual([reject(2, 1, "0.300")]);
  });

  it("judges every checkpoint a straggler carried the cohort past in one step", () => {
    const c = controller("all-parallel", 4, 4);
    c.start();
    expect(c.on(at(0, 250, 0.9))).toEqual([]);
    expect(c.on(at(1, 250, 0.8))).toEqual([]);
    expect(c.on(at(2, 250, 0.2))).toEqual([]);
    expect(c.on(at(3, 250, 0.1))).toEqual([reject(3, 1, "0.100"), reject(2, 1, "0.200"), reject(1, 2, "0.800")]);
    expect(c.inFlight).toBe(1);
  });

  it("stops floor(alpha · n): none of 3 at alpha 0.3, breaking ties toward the higher index", () => {
    const c = controller("all-parallel", 3, 3, { checkpointTokens: 100, rejectionRate: 0.3 });
    c.start();
    c.on(at(0, 100, 0.1));
    c.on(at(1, 100, 0.2));
    expect(c.on(at(2, 100, 0.3))).toEqual([]);
    const d = controller("all-parallel", 2, 2);
    d.start();
    d.on(at(0, 100, 0.4));
    expect(d.on(at(1, 100, 0.4))).toEqual([reject(1, 1, "0.400")]);
  });

  it("in waves refills after a rejection, and newcomers join from the next checkpoint", () => {
    const c = controller("waves", 4, 2);
    expect(c.start()).toEqual([launch(0, 1)]);
    expect(c.on(at(0, 100, 0.9))).toEqual([]);
    expect(c.on(at(1, 100, 0.1))).toEqual([reject(1, 1, "0.100"), launch(2)]);
    expect(c.on(at(0, 200, 0.5))).toEqual([]);
    expect(c.on(at(2, 100, 0.3))).toEqual([]);
    expect(c.on(at(2, 200, 0.6))).toEqual([reject(0, 2, "0.500"), launch(3)]);
  });

  it("in sequential mode never rejects the lone running branch", () => {
    const c = controller("sequential", 2, 2);
    expect(c.start()).toEqual([launch(0)]);
    expect(c.on(at(0, 100, 0.01))).toEqual([]);
    expect(c.on(at(0, 300, 0.01))).toEqual([]);
    expect(c.on(fin(0, "a", 0.2))).toEqual([launch(1)]);
    expect(c.on(fin(1, "b", 0.1))).toEqual([finish("all_branches_done", "best verifier score 0.200 among 2 branches")]);
    expect(c.consensus().leader).toBe("a");
  });
});
