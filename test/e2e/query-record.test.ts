import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { TtcClient, type TtcError } from "@ttc/client";
import { BranchStatus, StopReason, type QueryRecordEntry, type SolveResult } from "@ttc/proto";
import { collect, request, startTestCluster, type TestCluster } from "@ttc/test-harness";

const ttcBin = join(dirname(createRequire(import.meta.url).resolve("@ttc/cli")), "main.js");

/**
 * Every query leaves a record in NATS: GetQuery and WatchQuery read it from any scheduler, `ttc show`
 * draws it, and a scheduler killed mid-query leaves a partial one.
 */
describe("the query record", () => {
  let c: TestCluster;
  let second: TtcClient;
  beforeAll(async () => {
    c = await startTestCluster({
      workers: 2,
      schedulers: 2,
      env: { TTC_SIM_TOKENS_PER_SECOND: "300", TTC_SIM_MEAN_TOKENS: "120", TTC_QUERY_RECORD_FLUSH_MS: "200" },
    });
    second = new TtcClient(c.cluster.grpcAddresses[1]!, { timeoutMs: 30_000 });
  });
  afterAll(async () => {
    second?.close();
    await c?.stop();
  });

  // adaptive@arith checks each step of the sim's arithmetic: some branches are pruned, some cancelled.
  const query = request({
    prompt: "sim puzzle 42",
    seed: 42,
    maxBranches: 8,
    parallelism: 4,
    policy: { name: "adaptive", params: {} },
    verifier: "arith",
  });
  let result: SolveResult;

  it("records the request, every branch's fate and trace, the consensus over time and the result; any scheduler reads it", async () => {
    result = await c.client.solve(query);
    const record = await second.getQuery(result.queryId);
    expect(record.complete).toBe(true);
    const entries = record.entries;
    const started = entries[0]!.entry;
    expect(started?.$case).toBe("started");
    if (started?.$case !== "started") return;
    expect(started.value).toMatchObject({ queryId: result.queryId, tenant: "anonymous", seed: 42, verifier: "arith", maxBranches: 8 });
    expect(started.value.request?.prompt).toBe("sim puzzle 42");
    const traces = new Map(entries.flatMap((e) => (e.entry?.$case === "trace" ? [[e.entry.value.index, e.entry.value] as const] : [])));
    const launched = result.branches.filter((b) => b.status !== BranchStatus.BRANCH_STATUS_QUEUED);
    expect(launched.length).toBeGreaterThan(1);
    for (const b of launched) {
      const t = traces.get(b.index);
      expect(t, `branch ${b.index}`).toBeDefined();
      expect(t!.status).toBe(b.status);
      expect(t!.answer).toBe(b.answer);
      expect(t!.text.length).toBeGreaterThan(0);
      expect(t!.endedSeconds).toBeGreaterThanOrEqual(t!.startedSeconds);
    }
    expect(entries.some((e) => e.entry?.$case === "event" && e.entry.value.event?.$case === "consensus")).toBe(true);
    const last = entries.at(-1)!.entry;
    expect(last?.$case === "event" && last.value.event?.$case === "result" && last.value.event.value).toEqual(result);
    // Times only go forward.
    const times = entries.map((e) => e.atSeconds);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("ttc show draws every branch with its fate, the consensus and the result; --html writes one page", () => {
    const show = spawnSync(process.execPath, [ttcBin, "show", result.queryId, "--addr", c.cluster.grpcAddress], { encoding: "utf8" });
    expect(show.stderr).toBe("");
    expect(show.status).toBe(0);
    for (const b of result.branches.filter((x) => x.status !== BranchStatus.BRANCH_STATUS_QUEUED)) {
      const fate = BranchStatus[b.status].replace("BRANCH_STATUS_", "").toLowerCase();
      expect(show.stdout).toMatch(new RegExp(`#${b.index} +${fate}`));
    }
    expect(show.stdout).toContain("consensus over time");
    expect(show.stdout).toContain(`answer:   ${result.answer}`);
    const html = spawnSync(process.execPath, [ttcBin, "show", result.queryId, "--addr", c.cluster.grpcAddress, "--html", "-"], {
      encoding: "utf8",
    });
    expect(html.status).toBe(0);
    expect(html.stdout).toMatch(/^<!doctype html>/);
    expect(html.stdout).toContain(`Query ${result.queryId}`);
    expect(html.stdout).not.toMatch(/<script/);
  });

  it("ttc replay under the recorded strategy reproduces the recorded decision; under another it shows what changes", () => {
    const replay = (...args: string[]) =>
      spawnSync(process.execPath, [ttcBin, "replay", result.queryId, "--addr", c.cluster.grpcAddress, ...args], { encoding: "utf8" });
    const same = replay("--json");
    expect(same.stderr).toBe("");
    expect(same.status).toBe(0);
    const r = JSON.parse(same.stdout) as { asRecorded: Record<string, unknown>; replayed: Record<string, unknown>; caveats: string[] };
    const pruned = result.branches.filter((b) => b.status === BranchStatus.BRANCH_STATUS_PRUNED).length;
    expect(r.asRecorded).toMatchObject({
      answer: result.answer,
      stopReason: StopReason[result.stopReason]!.replace("STOP_REASON_", "").toLowerCase(),
      branchesLaunched: result.compute!.branchesLaunched,
      branchesPruned: pruned,
    });
    // The same strategy twice: the replayed column is the recorded one.
    expect(r.replayed).toEqual(r.asRecorded);
    // Without the arithmetic checks nothing is pruned: the branches the verifier cut end where the recording did.
    const other = replay("--policy", "majority@none");
    expect(other.status).toBe(0);
    expect(other.stdout).toMatch(/branches pruned +\d+ +0/);
    // This seed's arithmetic goes wrong in some branch, which the recorded run pruned.
    expect(pruned).toBeGreaterThan(0);
    expect(other.stdout).toMatch(/branches whose fate changes:\n  #\d+: pruned \(.*\) → launched/);
  });

  it("WatchQuery follows a running query from its first entry to its result", async () => {
    const stream = collect(c.client.solveStream({ ...query, seed: 43 }));
    while (stream.events.length === 0) await new Promise((r) => setTimeout(r, 20));
    const accepted = stream.events[0]!.event;
    expect(accepted?.$case).toBe("accepted");
    if (accepted?.$case !== "accepted") return;
    const watched: QueryRecordEntry[] = [];
    for await (const entry of second.watchQuery(accepted.value.queryId)) watched.push(entry);
    expect(await stream.done).toBeNull();
    expect(watched[0]!.entry?.$case).toBe("started");
    const last = watched.at(-1)!.entry;
    expect(last?.$case === "event" && last.value.event?.$case).toBe("result");
  });

  it("answers NOT_FOUND for an unknown query and INVALID_ARGUMENT for a malformed id", async () => {
    const unknown = (await c.client.getQuery("0123456789abcdef0123456789abcdef").catch((e: TtcError) => e)) as TtcError;
    expect(unknown.code).toBe(status.NOT_FOUND);
    expect(unknown.details).toMatch(/no record of query/);
    const malformed = (await c.client.getQuery("a.b>").catch((e: TtcError) => e)) as TtcError;
    expect(malformed.code).toBe(status.INVALID_ARGUMENT);
    expect(malformed.details).toMatch(/^query_id: /);
  });

  it("a scheduler killed mid-query leaves a partial record that the other replica serves, and a watch of it ends", async () => {
    const stream = collect(
      c.client.solveStream({ ...query, seed: 44, maxTokensPerBranch: 4000, policy: { name: "majority", params: {} } }),
    );
    while (!stream.events.some((e) => e.event?.$case === "branchStarted")) await new Promise((r) => setTimeout(r, 20));
    const accepted = stream.events[0]!.event;
    if (accepted?.$case !== "accepted") throw new Error("no accepted event first");
    // Past one flush interval, so the start and the first branch events were written.
    await new Promise((r) => setTimeout(r, 600));
    c.cluster.services.find((s) => s.name === "scheduler")!.child.kill("SIGKILL");
    expect((await stream.done)?.code).toBe(status.UNAVAILABLE);
    const record = await second.getQuery(accepted.value.queryId);
    expect(record.complete).toBe(false);
    expect(record.entries[0]!.entry?.$case).toBe("started");
    expect(record.entries.some((e) => e.entry?.$case === "event" && e.entry.value.event?.$case === "branchStarted")).toBe(true);
    const show = spawnSync(process.execPath, [ttcBin, "show", accepted.value.queryId, "--addr", c.cluster.grpcAddresses[1]!], {
      encoding: "utf8",
    });
    expect(show.status).toBe(3);
    expect(show.stdout).toMatch(/record: +PARTIAL/);
    // Nothing more will come: the watch ends once the dead scheduler's heartbeats are missed, well before its deadline.
    const watched: QueryRecordEntry[] = [];
    for await (const entry of second.watchQuery(accepted.value.queryId, { timeoutMs: 20_000 })) watched.push(entry);
    expect(watched.length).toBe(record.entries.length);
  });
});
