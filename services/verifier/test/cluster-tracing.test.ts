/**
 * The engine verifiers' HTTP requests join the query's trace: each PRM request carries the context
 * of a `ttc.verify.engine` span (the child of one verify call it batched, linked to the others), each
 * judge request the context of its verify call's span. A whole cluster (scheduler, sim workers and
 * the verifier as real processes), fake engines and a local OTLP receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  request,
  startOtlpReceiver,
  startTestCluster,
  until,
  type OtlpReceiver,
  type ReceivedSpan,
  type TestCluster,
} from "@ttc/test-harness";
import { fixtureText, poolingAnswer, startFakeServer, stepTags, type FakeServer, type RecordedRequest } from "./fixtures/fake-engines.js";

/** The trace and parent span ids of a request's W3C `traceparent`. */
function traceparentOf(req: RecordedRequest): { traceId: string; spanId: string } {
  const [, traceId, spanId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(String(req.headers["traceparent"])) ?? [];
  expect(traceId, `traceparent of ${req.path}: ${String(req.headers["traceparent"])}`).toBeDefined();
  return { traceId: traceId!, spanId: spanId! };
}

describe("engine verifiers in a traced cluster", () => {
  let prm: FakeServer;
  let judge: FakeServer;
  let otlp: OtlpReceiver;
  let c: TestCluster;
  beforeAll(async () => {
    prm = await startFakeServer((req) => poolingAnswer(req, (input) => Array.from({ length: stepTags(input) }, () => [0.2, 0.8])));
    judge = await startFakeServer(() => ({ status: 200, body: fixtureText("chat-judge-correct.json") }));
    otlp = await startOtlpReceiver();
    c = await startTestCluster({
      workers: 2,
      capacity: 4,
      env: {
        TTC_SIM_TOKENS_PER_SECOND: "4000",
        TTC_PRM_URL: prm.url,
        // A wide window, so concurrent branches' calls share requests and the batch spans have links.
        TTC_PRM_BATCH_WINDOW_MS: "30",
        TTC_JUDGE_URL: judge.url,
        TTC_JUDGE_MODEL: "judge",
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: "100",
      },
    });
  });
  afterAll(async () => {
    await c?.stop();
    await Promise.all([prm?.close(), judge?.close(), otlp?.stop()]);
  });

  const solve = (verifier: string) =>
    c.client.solve(
      request({
        maxBranches: 6,
        parallelism: 6,
        policy: { name: "weighted", params: {} },
        verifier,
        prompt: `sim puzzle traced ${verifier}`,
      }),
    );
  const spansOf = (queryId: string, name: string) => otlp.spans.filter((s) => s.name === name && s.attributes["ttc.query_id"] === queryId);

  it("every PRM request is a batch span in a query's trace, linked to every verify call it carried", async () => {
    prm.requests.length = 0;
    const r = await solve("prm");
    expect(r.verifierDegraded).toBe(false);
    const requests = [...prm.requests];
    expect(requests.length).toBeGreaterThan(0);
    const query = await until(() => spansOf(r.queryId, "ttc.query")[0], 10_000, "the query span");
    const verifySpans = () => new Map(otlp.spans.filter((s) => s.name === "ttc.verify").map((s) => [s.spanId, s]));
    const engineSpans = () => new Map(otlp.spans.filter((s) => s.name === "ttc.verify.engine").map((s) => [s.spanId, s]));
    // Every request's span and every verify span it names, exported (batches arrive in any order).
    const [byId, verifies] = await until(
      () => {
        const [engine, verify] = [engineSpans(), verifySpans()];
        const complete = requests.every((q) => {
          const span = engine.get(traceparentOf(q).spanId);
          return span && [span.parentSpanId, ...span.links.map((l) => l.spanId)].every((id) => verify.has(id));
        });
        return complete ? ([engine, verify] as const) : undefined;
      },
      10_000,
      "the PRM requests' spans and the verify spans they name",
    );
    let linked = 0;
    for (const q of requests) {
      const { traceId, spanId } = traceparentOf(q);
      const span: ReceivedSpan = byId.get(spanId)!;
      expect(span.service).toBe("ttc-verifier");
      expect(traceId).toBe(query.traceId);
      // Its parent and its links are verify calls of this query.
      for (const id of [span.parentSpanId, ...span.links.map((l) => l.spanId)]) {
        expect(verifies.get(id)!.attributes["ttc.query_id"]).toBe(r.queryId);
        expect(verifies.get(id)!.traceId).toBe(query.traceId);
      }
      // One input per verify call: the parent's and one per link.
      const inputs = Array.isArray(q.body["input"]) ? (q.body["input"] as unknown[]).length : 1;
      expect(span.attributes["ttc.batch_size"]).toBe(inputs);
      expect(span.links).toHaveLength(inputs - 1);
      linked += span.links.length;
    }
    // Batching happened (six branches at once, a 30 ms window), so the links were exercised.
    expect(linked).toBeGreaterThan(0);
  });

  it("every judge request carries its verify call's span context", async () => {
    judge.requests.length = 0;
    const r = await solve("judge");
    expect(r.verifierDegraded).toBe(false);
    const requests = [...judge.requests];
    expect(requests.length).toBeGreaterThan(0);
    const query = await until(() => spansOf(r.queryId, "ttc.query")[0], 10_000, "the query span");
    const verifyIds = await until(
      () => {
        const ids = new Set(spansOf(r.queryId, "ttc.verify").map((s) => s.spanId));
        return requests.every((q) => ids.has(traceparentOf(q).spanId)) ? ids : undefined;
      },
      10_000,
      "the judge requests' verify spans",
    );
    expect(verifyIds.size).toBeGreaterThanOrEqual(requests.length);
    for (const q of requests) expect(traceparentOf(q).traceId).toBe(query.traceId);
  });
});
