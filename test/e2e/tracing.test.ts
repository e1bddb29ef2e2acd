import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request, startOtlpReceiver, startTestCluster, until, type OtlpReceiver, type TestCluster } from "@ttc/test-harness";

/**
 * OpenTelemetry traces across processes: the scheduler's query span, each worker's branch-attempt
 * spans and each verifier call's span are one trace, joined by the W3C trace context the NATS
 * messages carry, exported over OTLP/HTTP to a receiver this test runs.
 */
describe("traces across the fleet", () => {
  let otlp: OtlpReceiver;
  let c: TestCluster;
  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    c = await startTestCluster({
      workers: 2,
      env: { TTC_SIM_TOKENS_PER_SECOND: "400", OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_BSP_SCHEDULE_DELAY: "100" },
    });
  });
  afterAll(async () => {
    await c?.stop();
    await otlp?.stop();
  });

  it("gives a query one trace: its span in the scheduler, a child span per branch attempt on the workers and per verifier call", async () => {
    // adaptive@arith on this seed prunes branches whose arithmetic is wrong (the README's example).
    const result = await c.client.solve(
      request({
        prompt: "How many marbles are left in sim puzzle 42?",
        seed: 42,
        maxBranches: 8,
        policy: { name: "adaptive", params: {} },
        verifier: "arith",
      }),
    );
    const launched = result.branches.filter((b) => b.attempts > 0).length;
    const query = () => otlp.spans.find((s) => s.name === "ttc.query" && s.attributes["ttc.query_id"] === result.queryId);
    const attempts = () => otlp.spans.filter((s) => s.name === "ttc.branch.attempt" && s.attributes["ttc.query_id"] === result.queryId);
    const verifyCalls = () => otlp.spans.filter((s) => s.name === "ttc.verify" && s.attributes["ttc.query_id"] === result.queryId);
    // Each process exports its own batches, in any order: wait for all three kinds.
    await until(
      () => (query() !== undefined && attempts().length >= launched && verifyCalls().length > 0 ? true : undefined),
      10_000,
      "the query's spans",
    );
    const root = query()!;
    expect(root.service).toBe("ttc-scheduler");
    expect(root.parentSpanId).toBe("");
    expect(root.attributes).toMatchObject({ "ttc.answer": result.answer, "ttc.policy": "adaptive", "ttc.verifier": "arith" });
    for (const a of attempts()) {
      expect(a.service).toBe("ttc-worker");
      expect(a.traceId).toBe(root.traceId);
      expect(a.parentSpanId).toBe(root.spanId);
    }
    expect(new Set(attempts().map((a) => a.attributes["ttc.branch"])).size).toBe(launched);
    for (const v of verifyCalls()) {
      expect(v.service).toBe("ttc-verifier");
      expect(v.traceId).toBe(root.traceId);
      expect(v.parentSpanId).toBe(root.spanId);
    }
    // Prunes and cancels are events of the query's span.
    expect(result.compute!.branchesPruned).toBeGreaterThan(0);
    expect(root.events.some((e) => e.name === "branches.pruned")).toBe(true);
    // Nothing else shares the trace: one trace per query.
    expect(otlp.spans.filter((s) => s.traceId === root.traceId).every((s) => s.attributes["ttc.query_id"] === result.queryId)).toBe(true);
    expect(otlp.refused).toBe(0);
  });

  it("continues the caller's trace: a traceparent sent with the request is the query span's parent", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const callerSpan = "00f067aa0ba902b7";
    const response = await fetch(`${c.cluster.openaiBaseUrls[0]}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${traceId}-${callerSpan}-01` },
      body: JSON.stringify({ model: "ttc/majority", n: 2, seed: 3, messages: [{ role: "user", content: "sim puzzle 3" }] }),
    });
    expect(response.status).toBe(200);
    const queryId = ((await response.json()) as { ttc: { query_id: string } }).ttc.query_id;
    const span = await until(
      () => otlp.spans.find((s) => s.name === "ttc.query" && s.attributes["ttc.query_id"] === queryId),
      10_000,
      "the query span",
    );
    expect(span.traceId).toBe(traceId);
    expect(span.parentSpanId).toBe(callerSpan);
  });
});
