/**
 * The verifier service with engine verifiers, end to end over a real NATS server: requests go over
 * request/reply exactly as the scheduler sends them; the engines are fake vLLM / chat servers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { connectNats, createLogger, wireNames, type WireNames } from "@ttc/common";
import { VerifyRequest, VerifyResponse } from "@ttc/proto";
import { startNats, type NatsFixture } from "@ttc/test-harness";
import { createEngineVerifiers, loadVerifierConfig } from "../src/config.js";
import { createVerifierMetrics, VerifierService, type VerifierMetrics } from "../src/verifier-service.js";
import {
  closedPort,
  fixtureText,
  poolingAnswer,
  poolingInputs,
  startFakeServer,
  stepTags,
  type FakeServer,
} from "./fixtures/fake-engines.js";

const names: WireNames = wireNames(`tv${process.pid}`);

let nats: NatsFixture;
let nc: NatsConnection;
let prmFake: FakeServer;
let chatFake: FakeServer;
let metrics: VerifierMetrics;
let service: VerifierService;

function call(over: Partial<VerifyRequest>, timeoutMs = 5_000): Promise<VerifyResponse> {
  const req = VerifyRequest.fromPartial({
    verifier: "prm",
    prompt: "What is 2 + 2 + 3?",
    trace: "2 + 2 = 4\n4 + 3 = 7\nThe answer is 7.\n",
    final: true,
    queryId: "q1",
    branchIndex: 0,
    ...over,
  });
  return nc
    .request(names.verifySubject(req.verifier), VerifyRequest.encode(req).finish(), { timeout: timeoutMs })
    .then((m) => VerifyResponse.decode(m.data));
}

beforeAll(async () => {
  nats = await startNats();
  nc = await connectNats(nats.url, "verifier-test");
  // Every step scores 0.9 except one whose text says "wrong".
  prmFake = await startFakeServer((req) =>
    poolingAnswer(req, (input) => {
      const steps = input.slice(input.indexOf("<|im_start|>assistant\n")).split("<extra_0>").slice(0, stepTags(input));
      return steps.map((s) => (s.includes("wrong") ? [0.7, 0.3] : [0.1, 0.9]));
    }),
  );
  chatFake = await startFakeServer(() => ({ status: 200, body: fixtureText("chat-judge-correct.json") }));
  const config = loadVerifierConfig({
    TTC_NATS_URL: nats.url,
    TTC_NAMESPACE: names.namespace,
    TTC_PRM_URL: prmFake.url,
    TTC_PRM_BATCH_WINDOW_MS: "20",
    TTC_PRM_TIMEOUT_MS: "300",
    TTC_JUDGE_URL: chatFake.url,
    TTC_JUDGE_MODEL: "Qwen/Qwen2.5-7B-Instruct",
    TTC_JUDGE_TIMEOUT_MS: "3000",
  });
  metrics = createVerifierMetrics();
  service = new VerifierService(nc, names, metrics, createLogger("verifier-test", "silent"), { engines: createEngineVerifiers(config) });
  await service.start();
});

afterAll(async () => {
  await service?.stop();
  await nc?.drain();
  await prmFake?.close();
  await chatFake?.close();
  await nats?.stop();
});

describe("verifier service with engines, over NATS", () => {
  it("serves the pure verifiers and the configured engine verifiers", () => {
    expect(service.served.sort()).toEqual(["arith", "confidence", "judge", "none", "prm", "recorded", "rule"]);
  });

  it("scores a trace with the PRM", async () => {
    prmFake.requests.length = 0;
    const res = await call({ trace: "2 + 2 = 4\nthis step is wrong: 4 + 3 = 8\nThe answer is 8.\n" });
    expect(res).toMatchObject({ error: "", reject: false, verified: false, reason: "min of 3 step scores = 0.3" });
    expect(res.stepScores).toEqual([0.9, 0.3, 0.9]);
    expect(res.score).toBe(0.3);
    expect(prmFake.requests).toHaveLength(1);
    expect(prmFake.requests[0]!.body).toEqual({
      model: "Qwen/Qwen2.5-Math-PRM-7B",
      input:
        "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n" +
        "<|im_start|>user\nWhat is 2 + 2 + 3?<|im_end|>\n" +
        "<|im_start|>assistant\n2 + 2 = 4<extra_0>this step is wrong: 4 + 3 = 8<extra_0>The answer is 8.<extra_0><|im_end|>\n",
    });
  });

  it("batches concurrent requests from NATS into one PRM request and answers each with its own scores", async () => {
    prmFake.requests.length = 0;
    const traces = ["a\n", "b wrong\n", "c\nd wrong\n", "e\nf\ng\n"];
    const res = await Promise.all(traces.map((trace, i) => call({ trace, branchIndex: i })));
    expect(prmFake.requests).toHaveLength(1);
    expect(poolingInputs(prmFake.requests[0]!)).toHaveLength(4);
    expect(res.map((r) => r.stepScores)).toEqual([[0.9], [0.3], [0.9, 0.3], [0.9, 0.9, 0.9]]);
    expect(res.every((r) => r.error === "")).toBe(true);
  });

  it("answers with an error (never silence) when the PRM fails or times out", async () => {
    prmFake.handle(() => ({ status: 500, body: fixtureText("vllm-error-500.json") }));
    const failed = await call({});
    expect(failed).toMatchObject({
      score: -1,
      stepScores: [],
      error: expect.stringMatching(/^prm: POST .*\/pooling answered HTTP 500: .*EngineCore/),
    });
    prmFake.handle(() => ({ status: 200, body: fixtureText("vllm-pooling-prm.json"), delayMs: 2_000 }));
    const slow = await call({});
    expect(slow.error).toMatch(/^prm: POST .*\/pooling timed out after 300 ms$/);
    prmFake.handle((req) => poolingAnswer(req, (input) => Array.from({ length: stepTags(input) }, () => [0.1, 0.9])));
  });

  it("answers a PRM outage (connection refused) with an error", async () => {
    const down = new VerifierService(
      nc,
      wireNames(`${names.namespace}down`),
      createVerifierMetrics(),
      createLogger("verifier-test", "silent"),
      { engines: createEngineVerifiers(loadVerifierConfig({ TTC_PRM_URL: `http://127.0.0.1:${await closedPort()}` })) },
    );
    await down.start();
    try {
      const req = VerifyRequest.fromPartial({ verifier: "prm", prompt: "q", trace: "1 + 1 = 2\n", final: true });
      const reply = await nc.request(wireNames(`${names.namespace}down`).verifySubject("prm"), VerifyRequest.encode(req).finish(), {
        timeout: 5_000,
      });
      expect(VerifyResponse.decode(reply.data).error).toMatch(/^prm: POST http:\/\/127\.0\.0\.1:\d+\/pooling failed: ECONNREFUSED/);
    } finally {
      await down.stop();
    }
  });

  it("judges a finished trace, and does not hold up other requests while the judge is slow", async () => {
    chatFake.handle(() => ({ status: 200, body: fixtureText("chat-judge-correct.json"), delayMs: 600 }));
    const order: string[] = [];
    const judged = call({ verifier: "judge" }).then((r) => (order.push("judge"), r));
    await new Promise((r) => setTimeout(r, 50)); // the judge request is in flight
    const quick = await Promise.all([
      call({ verifier: "arith", trace: "2 + 2 = 5" }).then((r) => (order.push("arith"), r)),
      call({ verifier: "prm" }).then((r) => (order.push("prm"), r)),
    ]);
    const judgement = await judged;
    expect(order).toEqual(["arith", "prm", "judge"]);
    expect(quick[0]).toMatchObject({ reject: true, error: "" });
    expect(quick[1]).toMatchObject({ error: "" });
    expect(judgement).toMatchObject({ score: 0.9, reject: false, verified: false, reason: "judge: CORRECT (confidence 0.9)", error: "" });
    expect(chatFake.requests.at(-1)!.body["messages"]).toEqual([
      expect.objectContaining({ role: "system" }),
      { role: "user", content: expect.stringContaining("What is 2 + 2 + 3?") },
    ]);
  });

  it("answers a partial trace sent to the judge with an error, and garbage verdicts too", async () => {
    chatFake.handle(() => ({ status: 200, body: fixtureText("chat-judge-garbage.json") }));
    expect((await call({ verifier: "judge", final: false })).error).toMatch(/only finished traces are judged/);
    expect((await call({ verifier: "judge" })).error).toMatch(/no "VERDICT: CORRECT\|INCORRECT" line/);
  });

  it("counts and answers malformed requests", async () => {
    const before = (await metrics.malformedMessages.get()).values[0]?.value ?? 0;
    const reply = await nc.request(names.verifySubject("prm"), new Uint8Array([0xff, 0xff, 0xff]), { timeout: 2_000 });
    expect(VerifyResponse.decode(reply.data).error).toBe("malformed VerifyRequest");
    expect((await metrics.malformedMessages.get()).values[0]?.value).toBe(before + 1);
    const errors = (await metrics.requests.get()).values.find((v) => v.labels.verifier === "prm" && v.labels.outcome === "error");
    expect(errors?.value).toBeGreaterThanOrEqual(2);
  });

  it("resumes partial verification on whichever replica takes a call: the continuation travels with the requests", async () => {
    const replicaMetrics = createVerifierMetrics();
    const replica = new VerifierService(nc, names, replicaMetrics, createLogger("verifier-test", "silent"));
    await replica.start();
    const arithCalls = async (m: VerifierMetrics) =>
      (await m.requests.get()).values.filter((v) => v.labels.verifier === "arith").reduce((sum, v) => sum + v.value, 0);
    const before = await arithCalls(metrics);
    try {
      const trace = "First 12 + 30 = 42 apples, then 42 x 2 = 84 of them.\nShared by 4: 84 / 4 = 21 each, and 21 - 1 = 19 left.\n";
      const judgement = (r: VerifyResponse) => ({ ...r, resumeOffset: 0, resume: Buffer.alloc(0) });
      let offset = 0;
      let resume: Buffer = Buffer.alloc(0);
      let sent = 0;
      let sentWhole = 0;
      for (let end = 5; end < trace.length + 5; end += 5) {
        const upTo = Math.min(end, trace.length);
        const resumed = await call({ verifier: "arith", trace: trace.slice(offset, upTo), traceOffset: offset, resume, final: false });
        const whole = await call({ verifier: "arith", trace: trace.slice(0, upTo), final: false });
        expect(judgement(resumed), `at ${upTo}`).toEqual(judgement(whole));
        sent += upTo - offset;
        sentWhole += upTo;
        offset = resumed.resumeOffset;
        resume = resumed.resume;
      }
      expect(await call({ verifier: "arith", trace, final: false })).toMatchObject({
        reject: true,
        reason: "21 - 1 = 19 is wrong (21 - 1 = 20)",
      });
      // Each call re-sends only a little context before what is new.
      expect(sent).toBeLessThan(sentWhole / 2);
      // Both replicas took calls (a queue group picks one at random per request).
      expect(await arithCalls(replicaMetrics)).toBeGreaterThan(0);
      expect((await arithCalls(metrics)) - before).toBeGreaterThan(0);
    } finally {
      await replica.stop();
    }
  });

  it("the PRM is not incremental: it asks for the whole trace each time and refuses part of one", async () => {
    expect(await call({ final: false })).toMatchObject({ error: "", resumeOffset: 0 });
    const part = await call({ trace: "4 + 3 = 7\n", traceOffset: 10, final: false });
    expect(part.error).toBe("verifier prm failed: verifier prm reads the whole trace, but this one starts at offset 10");
  });

  it("does not serve an engine verifier that is not configured", async () => {
    const bare = new VerifierService(
      nc,
      wireNames(`${names.namespace}bare`),
      createVerifierMetrics(),
      createLogger("verifier-test", "silent"),
    );
    await bare.start();
    try {
      expect(bare.served).not.toContain("prm");
      expect(bare.served).not.toContain("judge");
      const req = VerifyRequest.fromPartial({ verifier: "judge", trace: "x", final: true });
      await expect(
        nc.request(wireNames(`${names.namespace}bare`).verifySubject("judge"), VerifyRequest.encode(req).finish(), { timeout: 2_000 }),
      ).rejects.toThrow();
      const arith = await nc.request(
        wireNames(`${names.namespace}bare`).verifySubject("arith"),
        VerifyRequest.encode({ ...req, verifier: "arith", trace: "1 + 1 = 2" }).finish(),
        { timeout: 2_000 },
      );
      expect(VerifyResponse.decode(arith.data)).toMatchObject({ error: "", score: 1 });
    } finally {
      await bare.stop();
    }
  });
});
