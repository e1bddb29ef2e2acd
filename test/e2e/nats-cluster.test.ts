/**
 * A 3-node NATS cluster (JetStream, the task stream replicated three ways) under a steady load, one
 * node killed and later restarted: every call settles (none lost), and what the client saw is
 * printed as figures (answered, failed by status, latency p99 during the fault).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import { status, TtcClient, type TtcError } from "@ttc/client";
import { connectNats, startLocalNatsCluster, wireNames, type LocalNatsCluster } from "@ttc/common";
import { quantile } from "@ttc/stats";
import { request, startTestCluster, type TestCluster } from "@ttc/test-harness";

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("a 3-node NATS cluster losing a node under load", () => {
  let nats: LocalNatsCluster;
  let c: TestCluster;
  beforeAll(async () => {
    nats = await startLocalNatsCluster();
    // JetStream answers once the three nodes have elected a meta leader.
    const probe = await connectNats(nats.url, "cluster-probe");
    await until(async () => (await (await jetstreamManager(probe)).getAccountInfo()) && true, 30_000);
    await probe.close();
    c = await startTestCluster({
      natsUrl: nats.url,
      workers: 2,
      capacity: 4,
      env: { TTC_TASK_STREAM_REPLICAS: "3", TTC_SIM_TOKENS_PER_SECOND: "400", TTC_SIM_MEAN_TOKENS: "150" },
    });
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
    await nats?.stop();
  });

  it("answers every query (or says why), none lost, while a node dies and comes back", async () => {
    const client = new TtcClient(c.cluster.grpcAddress, { timeoutMs: 30_000 });
    const outcomes: { code: string; ms: number; at: number }[] = [];
    let next = 0;
    const total = 40;
    const started = Date.now();
    const caller = async () => {
      while (next < total) {
        const i = next++;
        const t = Date.now();
        const code = await client.solve(request({ maxBranches: 4, parallelism: 4, prompt: `sim puzzle ${i}` })).then(
          (r) => (r.answer === "" ? "NO_ANSWER" : "OK"),
          (e: TtcError) => status[e.code] ?? String(e.code),
        );
        outcomes.push({ code, ms: Date.now() - t, at: t - started });
      }
    };
    const load = Promise.all([caller(), caller(), caller(), caller()]);
    await until(async () => (outcomes.length >= 10 ? true : undefined), 60_000);
    const killedAt = Date.now() - started;
    nats.kill(0);
    await until(async () => (outcomes.length >= 25 ? true : undefined), 90_000);
    await nats.restart(0);
    const restartedAt = Date.now() - started;
    await load;
    client.close();
    const during = outcomes.filter((o) => o.at >= killedAt && o.at < restartedAt).map((o) => o.ms);
    const byCode = outcomes.reduce<Record<string, number>>((m, o) => ({ ...m, [o.code]: (m[o.code] ?? 0) + 1 }), {});
    console.log(
      `3-node NATS, node 1 killed at ${killedAt} ms, restarted at ${restartedAt} ms: outcomes ${JSON.stringify(byCode)}, ` +
        `latency p99 during the fault ${during.length ? Math.round(quantile(during, 0.99)) : "–"} ms over ${during.length} queries`,
    );
    expect(outcomes).toHaveLength(total); // none lost: every call came back
    expect(byCode["OK"] ?? 0).toBeGreaterThanOrEqual(total - 2);
    // The stream the scheduler made is the replicated one, led by a node that is up.
    const nc = await connectNats(nats.url, "cluster-check");
    const info = await (await jetstreamManager(nc)).streams.info(wireNames(c.namespace).taskStream);
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.replicas ?? []).toHaveLength(2);
    await nc.close();
  }, 240_000);
});
