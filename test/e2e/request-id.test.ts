/**
 * request_id (AIP-155) against a real, locked-down cluster of two schedulers: a retry gets the stored answer, joins
 * the query while it runs, waits for it on another replica, or resumes it there after its scheduler
 * died, reusing the branches that had finished.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { TtcClient, type TtcError } from "@ttc/client";
import type { SolveResult } from "@ttc/proto";
import { collect, request, scrape, startTestCluster, type TestCluster, until } from "@ttc/test-harness";

/** Every branch exactly 200 tokens at 200 tokens/s: a wave takes a second. */
const tokensPerBranch = 200;
/** Six branches in waves of two, all of them voting (majority runs the whole budget). */
const waves = (over: Parameters<typeof request>[0] = {}) =>
  request({ maxBranches: 6, parallelism: 2, policy: { name: "majority", params: {} }, verifier: "none", ...over });

describe("request_id", () => {
  let c: TestCluster;
  /** A client of the second scheduler replica. */
  let other: TtcClient;
  const schedulerMetric = async (i: number, name: string) => {
    const s = c.cluster.services.filter((x) => x.name.startsWith("scheduler"))[i]!;
    return (await scrape(String(s.ready["metricsUrl"]))).get(name) ?? 0;
  };
  const workerTokens = async () => {
    const urls = c.cluster.services.filter((s) => s.name.startsWith("worker")).map((s) => String(s.ready["metricsUrl"]));
    return (await Promise.all(urls.map(scrape))).reduce((s, m) => s + (m.get("ttc_worker_generated_tokens_total") ?? 0), 0);
  };

  beforeAll(async () => {
    c = await startTestCluster({
      workers: 3,
      capacity: 2,
      schedulers: 2,
      // Real permissions: the schedulers read and write the request records with only their own rights.
      lockedDown: true,
      env: {
        TTC_SIM_TOKENS_PER_SECOND: "200",
        TTC_SIM_MEAN_TOKENS: String(tokensPerBranch),
        TTC_SIM_LENGTH_SIGMA: "0",
        TTC_REQUEST_ATTACH_GRACE_MS: "1000",
      },
    });
    other = new TtcClient(c.cluster.grpcAddresses[1]!, { timeoutMs: 30_000 });
  });
  afterAll(async () => {
    other?.close();
    await c?.stop();
  });

  it("a retry of an answered request gets the stored result from any replica, and spends nothing", async () => {
    const first = await c.client.solve(request({ requestId: "answered-once", prompt: "sim puzzle 2" }));
    const tokens = await workerTokens();
    const again = await other.solve(request({ requestId: "answered-once", prompt: "sim puzzle 2" }));
    expect(again).toEqual(first);
    expect(await workerTokens()).toBe(tokens);
    expect(await schedulerMetric(1, 'ttc_scheduler_retried_requests_total{outcome="answered"}')).toBe(1);
  });

  it("refuses the same request_id for a different request, naming the field", async () => {
    await c.client.solve(request({ requestId: "one-question", prompt: "sim puzzle 3" }));
    const err = (await c.client.solve(request({ requestId: "one-question", prompt: "sim puzzle 4" })).catch((e: unknown) => e)) as TtcError;
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.message).toMatch(/request_id: "one-question" was already used for a different request/);
    const long = (await c.client.solve(request({ requestId: "x".repeat(129) })).catch((e: unknown) => e)) as TtcError;
    expect(long.code).toBe(status.INVALID_ARGUMENT);
    expect(long.message).toMatch(/request_id: must be at most 128 bytes/);
  });

  it("calls with the same request_id at once run one query", async () => {
    const answered = () => schedulerMetric(0, 'ttc_scheduler_queries_total{outcome="answered"}');
    const before = await answered();
    const [a, b] = await Promise.all([
      c.client.solve(waves({ requestId: "twice-at-once", prompt: "sim puzzle 5", maxBranches: 2 })),
      c.client.solve(waves({ requestId: "twice-at-once", prompt: "sim puzzle 5", maxBranches: 2 })),
    ]);
    expect(b).toEqual(a);
    expect(await answered()).toBe(before + 1);
    expect(await schedulerMetric(0, 'ttc_scheduler_retried_requests_total{outcome="joined"}')).toBeGreaterThanOrEqual(1);
  });

  it("a caller that drops its call and comes back within the grace joins the running query instead of starting over", async () => {
    const abort = new AbortController();
    const req = waves({ requestId: "dropped-call", prompt: "sim puzzle 6" });
    const { events, done } = collect(c.client.solveStream(req, { signal: abort.signal }));
    await until(() => (events.some((e) => e.event?.$case === "branchFinished") ? true : undefined));
    abort.abort();
    expect(((await done) as TtcError).code).toBe(status.CANCELLED);
    const result = await c.client.solve(req);
    expect(result.branches).toHaveLength(6);
    expect(result.compute!.reusedBranches).toBe(0); // the same run went on: nothing to reuse
    expect(result.compute!.generatedTokens).toBe(6 * tokensPerBranch);
  });

  it("a caller gone past the grace stops the query; a later retry resumes it, reusing what finished", async () => {
    const abort = new AbortController();
    const req = waves({ requestId: "left-for-good", prompt: "sim puzzle 7" });
    const { events, done } = collect(c.client.solveStream(req, { signal: abort.signal }));
    await until(() => (events.filter((e) => e.event?.$case === "branchFinished").length >= 2 ? true : undefined));
    abort.abort();
    await done;
    // The grace (1 s here, the query needs 3 s) passes; the query stops and its record says what finished.
    await until(async () => ((await schedulerMetric(0, "ttc_scheduler_queries_in_flight")) === 0 ? true : undefined), 10_000);
    const result = await c.client.solve(req);
    expect(result.compute!.reusedBranches).toBeGreaterThanOrEqual(2);
    expect(result.compute!.reusedBranches).toBeLessThan(6);
    expect(result.branches).toHaveLength(6);
    expect(await schedulerMetric(0, 'ttc_scheduler_retried_requests_total{outcome="resumed"}')).toBeGreaterThanOrEqual(1);
  });

  it("a retry that reaches another replica while the query still runs there waits for it, and the query runs on past the grace for it", async () => {
    const abort = new AbortController();
    const req = waves({ requestId: "retried-elsewhere", prompt: "sim puzzle 9" });
    const { events, done } = collect(c.client.solveStream(req, { signal: abort.signal }));
    await until(() => (events.some((e) => e.event?.$case === "branchFinished") ? true : undefined));
    abort.abort();
    await done;
    const result = await other.solve(req);
    // The first replica kept running it (the grace is 1 s, the query needs 3 s): nothing was run twice.
    expect(result.compute!.reusedBranches).toBe(0);
    expect(result.branches).toHaveLength(6);
    expect(result.compute!.generatedTokens).toBe(6 * tokensPerBranch);
  });

  it("a scheduler killed mid-query: the retry on the other replica resumes it; only unfinished branches run again, and the answer is the undisturbed one", async () => {
    const undisturbed = await other.solve(waves({ prompt: "sim puzzle 8" }));
    const req = waves({ requestId: "survives-its-scheduler", prompt: "sim puzzle 8" });
    const { events, done } = collect(c.client.solveStream(req));
    await until(() => (events.filter((e) => e.event?.$case === "branchFinished").length >= 4 ? true : undefined), 20_000);
    // Let the fourth branch's record land (it is written as the branch finishes, before its event is sent).
    await new Promise((r) => setTimeout(r, 200));
    const finishedAtKill = events.filter((e) => e.event?.$case === "branchFinished").length;
    c.cluster.services.find((s) => s.name === "scheduler")!.child.kill("SIGKILL");
    expect(((await done) as TtcError).code).toBe(status.UNAVAILABLE);

    const retried: SolveResult = await other.solve(req);
    const c2 = retried.compute!;
    expect(retried.answer).toBe(undisturbed.answer);
    expect(retried.votes).toEqual(undisturbed.votes);
    expect(retried.seed).toBe(undisturbed.seed);
    expect(c2.reusedBranches).toBeGreaterThanOrEqual(finishedAtKill);
    const regenerated = c2.generatedTokens - c2.reusedTokens;
    // Only the branches not finished at the kill ran again: at most their full lengths.
    expect(regenerated).toBeLessThanOrEqual((6 - finishedAtKill) * tokensPerBranch);
    expect(c2.reusedTokens).toBe(c2.reusedBranches * tokensPerBranch);
    console.log(
      `scheduler killed with ${finishedAtKill} of 6 branches finished: resumed on the other replica, ${c2.reusedBranches} reused (${c2.reusedTokens} tokens), ${regenerated} tokens generated again (bound ${(6 - finishedAtKill) * tokensPerBranch})`,
    );
  }, 40_000);
});
