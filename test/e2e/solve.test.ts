import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BranchStatus, StopReason, type SolveResult } from "@ttc/proto";
import { collect, healthStatus, request, scrape, startTestCluster, type TestCluster } from "@ttc/test-harness";

/** The whole path: gRPC → scheduler → JetStream → several workers → trace chunks → verifier → answer. */
describe("a query end to end", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startTestCluster({ workers: 3, capacity: 3, env: { TTC_SIM_TOKENS_PER_SECOND: "2000" } });
  });
  afterAll(async () => c?.stop());

  it("answers by consensus with a compute bill that adds up", async () => {
    const r = await c.client.solve(request({ maxBranches: 12, parallelism: 4, prompt: "sim puzzle adds up" }));
    expect(r.answer).not.toBe("");
    expect(r.queryId).toMatch(/^[0-9a-f]{32}$/);
    const top = r.votes[0]!;
    expect(top.answer).toBe(r.answer);
    const answered = r.votes.reduce((s, v) => s + v.count, 0);
    expect(r.support).toBeCloseTo(top.count / answered, 6);
    // The bill is the sum over branches, waste is every token of a branch that did not finish.
    const sum = r.branches.reduce((s, b) => s + b.tokens, 0);
    expect(r.compute!.generatedTokens).toBe(sum);
    const wasted = r.branches.filter((b) => b.status !== BranchStatus.BRANCH_STATUS_FINISHED).reduce((s, b) => s + b.tokens, 0);
    expect(r.compute!.wastedTokens).toBe(wasted);
    expect(r.compute!.branchesLaunched).toBe(r.branches.length);
    expect(r.compute!.branchesPruned).toBe(r.branches.filter((b) => b.status === BranchStatus.BRANCH_STATUS_PRUNED).length);
    expect(r.compute!.verifierCalls).toBeGreaterThan(0);
    expect(r.compute!.engineSeconds).toBeGreaterThan(0);
    expect(r.timing!.totalSeconds).toBeGreaterThanOrEqual(r.timing!.decidedSeconds);
    expect(r.timing!.decidedSeconds).toBeGreaterThan(r.timing!.queuedSeconds);
    // Several workers took part.
    expect(new Set(r.branches.map((b) => b.workerId).filter(Boolean)).size).toBeGreaterThan(1);
    // Every finished branch's vote is in the distribution.
    for (const b of r.branches.filter((x) => x.status === BranchStatus.BRANCH_STATUS_FINISHED && x.answer)) {
      expect(r.votes.some((v) => v.answer === b.answer)).toBe(true);
    }
  });

  it("stops early under the adaptive rule and cancels in-flight siblings", async () => {
    // With 40 branches allowed, the Beta rule settles long before all of them run.
    const r = await c.client.solve(
      request({ maxBranches: 40, parallelism: 6, policy: { name: "adaptive", params: { threshold: 0.95 } }, prompt: "unanimous" }),
    );
    expect(r.stopReason).toBe(StopReason.STOP_REASON_CONSENSUS);
    expect(r.leaderProbability).toBeGreaterThanOrEqual(0.95);
    expect(r.branches.length).toBeLessThan(40);
    const finished = r.branches.filter((b) => b.status === BranchStatus.BRANCH_STATUS_FINISHED).length;
    expect(finished).toBeLessThan(40);
    expect(r.stopDetail).toMatch(/P\(leader is majority\)/);
  });

  it("majority runs every branch and reports all_branches_done", async () => {
    const r = await c.client.solve(request({ maxBranches: 6, parallelism: 6, policy: { name: "majority", params: {} }, verifier: "none" }));
    expect(r.stopReason).toBe(StopReason.STOP_REASON_ALL_BRANCHES_DONE);
    expect(r.branches.every((b) => b.status === BranchStatus.BRANCH_STATUS_FINISHED)).toBe(true);
    expect(r.compute!.verifierCalls).toBe(0);
    expect(r.compute!.wastedTokens).toBe(0);
  });

  it("streams branch events, consensus updates and the result last", async () => {
    const { events, done } = collect(c.client.solveStream(request({ maxBranches: 8, parallelism: 4, prompt: "stream me" })));
    const error = await done;
    expect(error).toBeNull();
    const kinds = events.map((e) => e.event?.$case);
    expect(kinds.at(-1)).toBe("result");
    expect(kinds.filter((k) => k === "result")).toHaveLength(1);
    for (const k of ["branchStarted", "branchProgress", "branchFinished", "consensus"]) expect(kinds).toContain(k);
    const result = events.at(-1)!.event!.value as SolveResult;
    // Every branch in the result was announced as started before the result.
    const started = new Set(events.flatMap((e) => (e.event?.$case === "branchStarted" ? [e.event.value.index] : [])));
    for (const b of result.branches.filter((x) => x.attempts > 0)) expect(started.has(b.index)).toBe(true);
    // Progress token counts per branch never go down.
    const last = new Map<number, number>();
    for (const e of events) {
      if (e.event?.$case !== "branchProgress") continue;
      const { index, tokens } = e.event.value;
      expect(tokens).toBeGreaterThanOrEqual(last.get(index) ?? 0);
      last.set(index, tokens);
    }
    const consensus = events.filter((e) => e.event?.$case === "consensus").at(-1)!.event!.value as { leader: string };
    expect(consensus.leader).toBe(result.answer);
  });

  it("reports SERVING on the standard health service and counts the queries in its metrics", async () => {
    expect(await healthStatus(c.cluster.grpcAddress)).toBe("SERVING");
    const m = await scrape(c.metricsUrl("scheduler"));
    expect(m.get('ttc_scheduler_queries_total{outcome="answered"}')).toBeGreaterThanOrEqual(4);
    expect(m.get("ttc_scheduler_queries_in_flight")).toBe(0);
  });
});

describe("sibling placement", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startTestCluster({ workers: 2, capacity: 4, env: { TTC_SIM_TOKENS_PER_SECOND: "2000", TTC_GANG_SIZE: "4" } });
  });
  afterAll(async () => c?.stop());

  it("places gangs of siblings on one worker and records the gang size", async () => {
    const r = await c.client.solve(
      request({ maxBranches: 8, parallelism: 8, policy: { name: "majority", params: {} }, verifier: "none", prompt: "gang up" }),
    );
    expect(r.gangSize).toBe(4);
    expect(r.branches).toHaveLength(8);
    for (const gang of [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]) {
      const workers = new Set(gang.map((i) => r.branches[i]!.workerId));
      expect(workers.size).toBe(1);
    }
    expect(r.answer).not.toBe("");
  });
});
