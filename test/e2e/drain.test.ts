import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { StopReason, type SolveEvent, type SolveResult } from "@ttc/proto";
import { healthStatus, request, solve, startTestCluster, type TestCluster } from "../harness/cluster.js";

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
    const events: SolveEvent[] = [];
    const call = c.client.solveStream(
      request({ maxBranches: 40, parallelism: 4, policy: { name: "majority", params: {} }, verifier: "none", prompt: "drain me" }),
      new Metadata(),
      {
        deadline: Date.now() + 30_000,
      },
    );
    const ended = new Promise<ServiceError | null>((resolve) => {
      call.on("data", (e: SolveEvent) => events.push(e));
      call.on("error", resolve);
      call.on("end", () => resolve(null));
    });
    while (!events.some((e) => e.event?.$case === "branchFinished")) await new Promise((r) => setTimeout(r, 20));
    const exited = new Promise<number | null>((resolve) => scheduler.child.once("exit", (code) => resolve(code)));
    scheduler.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 200));
    expect(await healthStatus(c.cluster.grpcAddress)).toBe("NOT_SERVING");
    const refused = (await solve(c.client, request({ prompt: "too late" })).catch((e: ServiceError) => e)) as ServiceError;
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
