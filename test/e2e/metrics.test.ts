import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SolveResult } from "@ttc/proto";
import { type PrometheusFixture, request, scrape, startPrometheus, startTestCluster, type TestCluster } from "@ttc/test-harness";

/** The metrics must tell the same story as the queries' own results, through a real Prometheus. */
describe("metrics agree with results", () => {
  let c: TestCluster;
  let prom: PrometheusFixture;
  const results: SolveResult[] = [];
  const total = (f: (r: SolveResult) => number) => results.reduce((s, r) => s + f(r), 0);

  beforeAll(async () => {
    c = await startTestCluster({ workers: 2, env: { TTC_SIM_TOKENS_PER_SECOND: "3000", TTC_CANCEL_SETTLE_MS: "2000" } });
    const hostPort = (url: string) => new URL(url).host;
    prom = await startPrometheus(c.cluster.services.map((s) => hostPort(String(s.ready["metricsUrl"]))));
    // Majority with the arith verifier: prunes happen (and are waited for), nothing is cancelled while queued.
    for (const seed of [11, 12, 13]) {
      results.push(
        await c.client.solve(
          request({
            seed,
            maxBranches: 8,
            parallelism: 4,
            policy: { name: "majority", params: {} },
            verifier: "arith",
            prompt: `metrics ${seed}`,
          }),
        ),
      );
    }
  });
  afterAll(async () => {
    await prom?.stop();
    await c?.stop();
  });

  it("scheduler histograms and counters sum to the results' compute", async () => {
    const m = await scrape(c.metricsUrl("scheduler"));
    expect(m.get('ttc_scheduler_queries_total{outcome="answered"}')).toBe(3);
    expect(m.get("ttc_scheduler_query_generated_tokens_count")).toBe(3);
    expect(m.get("ttc_scheduler_query_generated_tokens_sum")).toBe(total((r) => r.compute!.generatedTokens));
    expect(m.get("ttc_scheduler_query_wasted_tokens_sum")).toBe(total((r) => r.compute!.wastedTokens));
    expect(m.get("ttc_scheduler_query_branches_launched_sum")).toBe(total((r) => r.compute!.branchesLaunched));
    expect(m.get("ttc_scheduler_query_branches_pruned_sum")).toBe(total((r) => r.compute!.branchesPruned));
    expect(m.get("ttc_scheduler_generated_tokens_total")).toBe(total((r) => r.compute!.generatedTokens));
    expect(m.get('ttc_scheduler_verifier_calls_total{verifier="arith"}')).toBe(total((r) => r.compute!.verifierCalls));
    expect(total((r) => r.compute!.branchesPruned)).toBeGreaterThan(0); // the test exercises waste, not only success
  });

  it("every service exposes its process's CPU, memory and event-loop delay", async () => {
    for (const service of c.cluster.services) {
      const m = await scrape(String(service.ready["metricsUrl"]));
      expect(m.get("process_cpu_seconds_total"), service.name).toBeGreaterThan(0);
      expect(m.get("process_resident_memory_bytes"), service.name).toBeGreaterThan(0);
      expect(m.get("nodejs_eventloop_lag_p99_seconds"), service.name).toBeGreaterThanOrEqual(0);
    }
  });

  it("the workers generated exactly the tokens the scheduler billed", async () => {
    const workers = c.cluster.services.filter((s) => s.name.startsWith("worker"));
    const scraped = await Promise.all(workers.map((w) => scrape(String(w.ready["metricsUrl"]))));
    expect(scraped.reduce((s, m) => s + (m.get("ttc_worker_generated_tokens_total") ?? 0), 0)).toBe(
      total((r) => r.compute!.generatedTokens),
    );
    // A prune stops a running branch; a branch the verifier rejects only at its end has nothing left to stop.
    const obeyed = scraped.reduce((s, m) => s + (m.get("ttc_worker_cancels_obeyed_total") ?? 0), 0);
    expect(obeyed).toBeGreaterThan(0);
    expect(obeyed).toBeLessThanOrEqual(total((r) => r.compute!.branchesPruned));
  });

  it("Prometheus scrapes the same numbers", async () => {
    const expected = total((r) => r.compute!.generatedTokens);
    const targets = c.cluster.services.length;
    const read = async () => ({
      schedulerTokens: await prom.value("sum(ttc_scheduler_query_generated_tokens_sum)"),
      workerTokens: await prom.value("sum(ttc_worker_generated_tokens_total)"),
      answered: await prom.value('sum(ttc_scheduler_queries_total{outcome="answered"})'),
      up: await prom.value("count(up == 1)"),
    });
    const want = { schedulerTokens: expected, workerTokens: expected, answered: 3, up: targets };
    // Scrapes happen every second, target by target: wait until every series has caught up.
    const end = Date.now() + 30_000;
    let seen = await read();
    while (JSON.stringify(seen) !== JSON.stringify(want) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      seen = await read();
    }
    expect(seen).toEqual(want);
  });
});
