import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TtcClient } from "@ttc/client";
import { request, scrape, startTestCluster, type TestCluster } from "@ttc/test-harness";

/** Two schedulers, one NATS, one worker fleet: each answers its own queries and bills only its own tokens. */
describe("two schedulers sharing one worker fleet", () => {
  let c: TestCluster;
  let second: TtcClient;
  beforeAll(async () => {
    c = await startTestCluster({ workers: 2, capacity: 4, schedulers: 2, env: { TTC_SIM_TOKENS_PER_SECOND: "2000" } });
    second = new TtcClient(c.cluster.grpcAddresses[1]!, { timeoutMs: 30_000 });
  });
  afterAll(async () => {
    second?.close();
    await c?.stop();
  });

  it("both answer at once, and together they bill exactly what the workers generated", async () => {
    const ask = (client: TtcClient, i: number) => client.solve(request({ prompt: `sim puzzle ${i}`, maxBranches: 6, seed: i }));
    const results = await Promise.all([0, 1, 2, 3].flatMap((i) => [ask(c.client, i), ask(second, 100 + i)]));
    expect(results.every((r) => r.answer !== "")).toBe(true);
    // Same query on either scheduler: same answer (branch seeds come from the query, not the scheduler).
    const [a, b] = await Promise.all([ask(c.client, 7), ask(second, 7)]);
    expect(b.answer).toBe(a.answer);
    const billed = [...results, a, b].reduce((s, r) => s + r.compute!.generatedTokens, 0);
    const schedulerUrls = c.cluster.services.filter((s) => s.name.startsWith("scheduler")).map((s) => String(s.ready["metricsUrl"]));
    const workerUrls = c.cluster.services.filter((s) => s.name.startsWith("worker")).map((s) => String(s.ready["metricsUrl"]));
    const sum = async (urls: string[], name: string) => (await Promise.all(urls.map(scrape))).reduce((s, m) => s + (m.get(name) ?? 0), 0);
    expect(schedulerUrls).toHaveLength(2);
    expect(await sum(schedulerUrls, "ttc_scheduler_generated_tokens_total")).toBe(billed);
    for (const url of schedulerUrls) expect((await scrape(url)).get('ttc_scheduler_queries_total{outcome="answered"}')).toBe(5);
    // Tokens of cancelled branches may still be streaming in; the workers' count settles at the bill.
    await expect.poll(() => sum(workerUrls, "ttc_worker_generated_tokens_total"), { timeout: 5_000 }).toBe(billed);
  });
});
