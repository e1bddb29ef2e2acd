/**
 * The PRM through a whole cluster (scheduler, sim workers and the verifier as real processes): a
 * healthy PRM scores the branches; when it goes down (connection refused) or a verifier is not
 * served at all, the query still answers, unweighted, and its result says the verifier was degraded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BranchStatus } from "@ttc/proto";
import { request, startTestCluster, type TestCluster } from "@ttc/test-harness";
import { poolingAnswer, startFakeServer, stepTags, type FakeServer } from "./fixtures/fake-engines.js";

describe("prm in a cluster", () => {
  let prm: FakeServer;
  let c: TestCluster;
  beforeAll(async () => {
    prm = await startFakeServer((req) => poolingAnswer(req, (input) => Array.from({ length: stepTags(input) }, () => [0.2, 0.8])));
    c = await startTestCluster({
      workers: 2,
      capacity: 4,
      env: { TTC_SIM_TOKENS_PER_SECOND: "4000", TTC_PRM_URL: prm.url, TTC_PRM_TIMEOUT_MS: "1000" },
    });
  });
  afterAll(async () => {
    await c?.stop();
    await prm?.close();
  });

  const weighted = (verifier: string) =>
    request({ maxBranches: 6, parallelism: 6, policy: { name: "weighted", params: {} }, verifier, prompt: `sim puzzle ${verifier}` });

  it("scores branches with a healthy PRM", async () => {
    const r = await c.client.solve(weighted("prm"));
    expect(r.answer).not.toBe("");
    expect(r.verifier).toBe("prm");
    expect(r.verifierDegraded).toBe(false);
    expect(r.verifierNote).toBe("");
    const finished = r.branches.filter((b) => b.status === BranchStatus.BRANCH_STATUS_FINISHED);
    expect(finished.length).toBeGreaterThan(0);
    for (const b of finished) expect(b.score).toBeCloseTo(0.8, 9);
    expect(prm.requests.length).toBeGreaterThan(0);
    expect(prm.requests.every((q) => q.path === "/pooling")).toBe(true);
  });

  it("answers unweighted and says so when the PRM is down", async () => {
    await prm.close(); // now connection refused
    const r = await c.client.solve(weighted("prm"));
    expect(r.answer).not.toBe("");
    expect(r.verifierDegraded).toBe(true);
    expect(r.verifierNote).toMatch(
      /^\d+ of \d+ calls to verifier prm failed; those traces are unscored \(counted unweighted\); first error: prm: POST http:\/\/127\.0\.0\.1:\d+\/pooling failed: ECONNREFUSED/,
    );
    // Unscored branches vote with weight 1 each.
    for (const v of r.votes) expect(v.weight).toBeCloseTo(v.count, 9);
  });

  it("answers and says so when no verifier serves the one asked for (judge without TTC_JUDGE_URL)", async () => {
    const r = await c.client.solve(weighted("judge"));
    expect(r.answer).not.toBe("");
    expect(r.verifierDegraded).toBe(true);
    expect(r.verifierNote).toMatch(/calls to verifier judge failed; .*first error: no verifier service serves "judge"/);
  });

  it("is not degraded with a pure verifier", async () => {
    const r = await c.client.solve(weighted("arith"));
    expect(r.verifierDegraded).toBe(false);
    expect(r.verifierNote).toBe("");
  });
});
