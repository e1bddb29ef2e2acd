import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import type { TtcError } from "@ttc/client";
import { StopReason, type SolveResult } from "@ttc/proto";
import { collect, healthStatus, request, startTestCluster, type TestCluster } from "@ttc/test-harness";

/** SIGTERM on a scheduler: NOT_SERVING at once, no new queries, in-flight ones answered with what they have. */
describe("scheduler drain", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startTestCluster({
      workers: 2,
      capacity: 2,
      env: { TTC_SIM_TOKENS_PER_SECOND: "100", TTC_SIM_MEAN_TOKENS: "80", TTC_DRAIN_GRACE_MS: "2500" },
    });
  });
  afterAll(async () => c?.stop());

  it("stops admitting, answers the in-flight query, and exits cleanly", async () => {
    const scheduler = c.cluster.services.find((s) => s.name === "scheduler")!;
    const { events, done: ended } = collect(
      c.client.solveStream(
        request({ maxBranches: 40, parallelism: 4, policy: { name: "majority", params: {} }, verifier: "none", prompt: "drain me" }),
      ),
    );
    while (!events.some((e) => e.event?.$case === "branchFinished")) await new Promise((r) => setTimeout(r, 20));
    const exited = new Promise<number | null>((resolve) => scheduler.child.once("exit", (code) => resolve(code)));
    scheduler.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 200));
    expect(await healthStatus(c.cluster.grpcAddress)).toBe("NOT_SERVING");
    // One attempt: the test is about the draining scheduler's refusal, not about the client's retries of it.
    const refused = (await c.client
      .solve(request({ prompt: "too late" }), { retry: { maxAttempts: 1 } })
      .catch((e: TtcError) => e)) as TtcError;
    expect(refused.code).toBe(status.UNAVAILABLE);
    expect(refused.details).toMatch(/draining/);
    expect(await ended).toBeNull();
    const last = events.at(-1)!.event!;
    expect(last.$case).toBe("result");
    const r = last.value as SolveResult;
    expect(r.stopReason).toBe(StopReason.STOP_REASON_DRAINING);
    expect(r.answer).not.toBe("");
    expect(await exited).toBe(0);
  });
});
