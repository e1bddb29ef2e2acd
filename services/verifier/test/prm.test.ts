import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EngineError } from "@ttc/common";
import { PRM_SYSTEM_PROMPT, PrmVerifier, prmInput, prmSteps, stepScoresFromRows, type PrmOptions } from "../src/engines/prm.js";
import {
  closedPort,
  fixtureText,
  poolingAnswer,
  poolingInputs,
  startFakeServer,
  stepTags,
  type FakeServer,
} from "./fixtures/fake-engines.js";

const question =
  "Sue lives in a fun neighborhood. One weekend, the neighbors decided to play a prank on Sue. How many more pink plastic flamingos were out than white plastic flamingos at noon on Sunday?";
const stepsText = [
  "On Friday, the neighbors start with 18 pink plastic flamingos.",
  "On Saturday, they take back one third of the flamingos: 18 / 3 = 6, so 18 - 6 = 12 pink ones are left, and the 6 come back white.",
  "On Sunday, they add another 18 pink flamingos: 12 + 18 = 30 pink and 6 white.",
  "The difference is 30 - 6 = 24. The answer is \\boxed{24}.",
];
const trace = `${stepsText.join("\n\n")}\n`;

const expectedInput =
  `<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n` +
  `<|im_start|>user\n${question}<|im_end|>\n` +
  `<|im_start|>assistant\n${stepsText.join("<extra_0>")}<extra_0><|im_end|>\n`;

let fake: FakeServer;
const verifiers: PrmVerifier[] = [];

function prm(over: Partial<PrmOptions> = {}): PrmVerifier {
  const v = new PrmVerifier({
    url: fake.url,
    model: "Qwen/Qwen2.5-Math-PRM-7B",
    aggregation: "min",
    timeoutMs: 2_000,
    batchWindowMs: 5,
    maxBatch: 16,
    ...over,
  });
  verifiers.push(v);
  return v;
}

beforeAll(async () => {
  fake = await startFakeServer(() => ({ status: 200, body: fixtureText("vllm-pooling-prm.json") }));
});
afterEach(() => {
  fake.requests.length = 0;
  fake.handle(() => ({ status: 200, body: fixtureText("vllm-pooling-prm.json") }));
  for (const v of verifiers.splice(0)) v.close();
});
afterAll(() => fake.close());

describe("prm input", () => {
  it("renders the Qwen chat template with the card's system prompt and <extra_0> after every step", () => {
    expect(PRM_SYSTEM_PROMPT).toBe("Please reason step by step, and put your final answer within \\boxed{}.");
    expect(prmInput(question, stepsText)).toBe(expectedInput);
    // A literal step tag in the text would add a score row: it is removed.
    expect(prmInput("a <extra_0> b", ["x<extra_0>y"])).toBe(
      `<|im_start|>system\n${PRM_SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\na  b<|im_end|>\n<|im_start|>assistant\nxy<extra_0><|im_end|>\n`,
    );
  });

  it("cuts steps at paragraphs (else lines), trimmed; a partial trace's unfinished last line waits", () => {
    expect(prmSteps(trace, true)).toEqual(stepsText);
    expect(prmSteps("Step 1: 2 + 2 = 4\nStep 2: 4 * 3 = 12\nStep 3: 12 -", true)).toEqual([
      "Step 1: 2 + 2 = 4",
      "Step 2: 4 * 3 = 12",
      "Step 3: 12 -",
    ]);
    expect(prmSteps("Step 1: 2 + 2 = 4\nStep 2: 4 * 3 = 12\nStep 3: 12 -", false)).toEqual(["Step 1: 2 + 2 = 4", "Step 2: 4 * 3 = 12"]);
    expect(prmSteps("Step 1: 2 + 2 = 4\n", false)).toEqual(["Step 1: 2 + 2 = 4"]);
    expect(prmSteps("Step 1: 2 +", false)).toEqual([]);
    expect(prmSteps("", true)).toEqual([]);
  });
});

describe("prm scores", () => {
  it("reads P(positive) per step and accepts logits too", () => {
    expect(
      stepScoresFromRows(
        [
          [0, 1],
          [0.8095703125, 0.1904296875],
        ],
        2,
      ),
    ).toEqual([1, 0.1904296875]);
    const [a, b] = stepScoresFromRows(
      [
        [-2.5, 3.125],
        [1.75, -0.5],
      ],
      2,
    );
    expect(a).toBeCloseTo(1 / (1 + Math.exp(-5.625)), 12);
    expect(b).toBeCloseTo(1 / (1 + Math.exp(2.25)), 12);
    expect(() => stepScoresFromRows([[0, 1]], 2)).toThrow(/1 step rows for 2 steps/);
    expect(() => stepScoresFromRows([[0.5]], 1)).toThrow(/step 1: expected \[negative, positive\]/);
    expect(() => stepScoresFromRows({ error: "x" }, 1)).toThrow(EngineError);
  });

  it("POSTs {model, input} to /pooling and aggregates the per-step scores (default min)", async () => {
    const out = await prm().verify({ trace, final: true, prompt: question });
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/pooling");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.body).toEqual({ model: "Qwen/Qwen2.5-Math-PRM-7B", input: expectedInput });
    expect(stepTags(expectedInput)).toBe(4);
    expect(out).toEqual({
      score: 0.1904296875,
      stepScores: [1, 0.1904296875, 0.9765625, 1],
      reject: false,
      reason: "min of 4 step scores = 0.19",
      verified: false,
    });
  });

  it("aggregates with last and product when set", async () => {
    expect((await prm({ aggregation: "last" }).verify({ trace, final: true, prompt: question })).score).toBe(1);
    expect((await prm({ aggregation: "product" }).verify({ trace, final: true, prompt: question })).score).toBeCloseTo(
      0.1904296875 * 0.9765625,
      12,
    );
  });

  it("softmaxes logit rows", async () => {
    fake.handle(() => ({ status: 200, body: fixtureText("vllm-pooling-prm-logits.json") }));
    const out = await prm().verify({ trace: "2 + 2 = 4\n2 * 4 = 9\n", final: true, prompt: "q" });
    expect(out.stepScores[0]).toBeCloseTo(0.9964, 4);
    expect(out.stepScores[1]).toBeCloseTo(0.09534, 4);
    expect(out.score).toBe(out.stepScores[1]);
  });

  it("scores a partial trace's whole steps, and does not call the engine before the first one", async () => {
    const v = prm();
    fake.handle((req) => poolingAnswer(req, (input) => Array.from({ length: stepTags(input) }, () => [0.25, 0.75])));
    const out = await v.verify({ trace: "Step 1: 2 + 2 = 4\nStep 2: 4 *", final: false, prompt: "q" });
    expect(out.stepScores).toEqual([0.75]);
    expect(poolingInputs(fake.requests[0]!)[0]).toContain("<|im_start|>assistant\nStep 1: 2 + 2 = 4<extra_0><|im_end|>\n");
    expect(await v.verify({ trace: "Step 1: 2 +", final: false, prompt: "q" })).toMatchObject({
      score: 1,
      stepScores: [],
      reason: "no steps scored yet",
    });
    expect(fake.requests).toHaveLength(1);
  });
});

describe("prm batching", () => {
  it("sends concurrent calls within the window as one request with input: [...] and splits the answer back in order", async () => {
    const v = prm({ batchWindowMs: 20 });
    // Each input's rows say which trace it was: P(positive) = k / 10 for trace k.
    fake.handle((req) =>
      poolingAnswer(req, (input) =>
        Array.from({ length: stepTags(input) }, () => {
          const k = Number(/trace (\d)/.exec(input)![1]);
          return [1 - k / 10, k / 10];
        }),
      ),
    );
    const traces = [1, 2, 3, 4, 5].map((k) => `trace ${k}: step one\ntrace ${k}: step two\n`);
    const outs = await Promise.all(traces.map((t, i) => v.verify({ trace: t, final: true, prompt: `question ${i}` })));
    expect(fake.requests).toHaveLength(1);
    expect(v.stats).toEqual({ requests: 1, inputs: 5 });
    const inputs = fake.requests[0]!.body["input"];
    expect(Array.isArray(inputs)).toBe(true);
    expect(inputs).toEqual(traces.map((_, i) => prmInput(`question ${i}`, prmSteps(traces[i]!, true))));
    expect(outs.map((o) => o.stepScores)).toEqual([1, 2, 3, 4, 5].map((k) => [k / 10, k / 10]));
  });

  it("sends a full batch at once and never more than maxBatch inputs per request", async () => {
    const v = prm({ batchWindowMs: 1_000, maxBatch: 3 });
    fake.handle((req) => poolingAnswer(req, (input) => Array.from({ length: stepTags(input) }, () => [0, 1])));
    const started = performance.now();
    await Promise.all(Array.from({ length: 6 }, (_, i) => v.verify({ trace: `step ${i}\n`, final: true, prompt: "q" })));
    expect(performance.now() - started).toBeLessThan(900); // two full batches: no waiting for the window
    expect(fake.requests.map((r) => poolingInputs(r).length)).toEqual([3, 3]);
  });

  it("matches answers to inputs by index, and retries a batch the server refuses (400) one input at a time", async () => {
    const v = prm({ batchWindowMs: 10 });
    fake.handle((req) => {
      const inputs = poolingInputs(req);
      // One input over the context length: vLLM refuses the whole request.
      if (inputs.some((i) => i.includes("too long"))) return { status: 400, body: fixtureText("vllm-error-400-too-long.json") };
      const answer = poolingAnswer(req, (input) => Array.from({ length: stepTags(input) }, () => [0.5, 0.5]));
      // vLLM keeps the order, but the index is what counts.
      if ("body" in answer) {
        const json = JSON.parse(answer.body) as { data: unknown[] };
        json.data.reverse();
        answer.body = JSON.stringify(json);
      }
      return answer;
    });
    const results = await Promise.allSettled([
      v.verify({ trace: "fine\n", final: true, prompt: "q" }),
      v.verify({ trace: "too long\n", final: true, prompt: "q" }),
      v.verify({ trace: "also fine\nstill fine\n", final: true, prompt: "q" }),
    ]);
    expect(results[0]).toMatchObject({ status: "fulfilled", value: { stepScores: [0.5] } });
    expect(results[1]).toMatchObject({
      status: "rejected",
      reason: {
        code: "INVALID_ARGUMENT",
        httpStatus: 400,
        message: expect.stringMatching(/^prm: POST .*\/pooling answered HTTP 400: .*maximum context length is 4096 tokens/),
      },
    });
    expect(results[2]).toMatchObject({ status: "fulfilled", value: { stepScores: [0.5, 0.5] } });
    expect(fake.requests.map((r) => poolingInputs(r).length)).toEqual([3, 1, 1, 1]);
  });

  it("fails a batch the engine is too busy for (429) as a whole: splitting it would only add load", async () => {
    const v = prm({ batchWindowMs: 10 });
    fake.handle(() => ({ status: 429, body: JSON.stringify({ object: "error", message: "Too many requests", code: 429 }) }));
    const results = await Promise.allSettled([1, 2, 3].map((k) => v.verify({ trace: `step ${k}\n`, final: true, prompt: "q" })));
    for (const r of results) expect(r).toMatchObject({ status: "rejected", reason: { code: "RESOURCE_EXHAUSTED", retryable: true } });
    expect(fake.requests.map((r) => poolingInputs(r).length)).toEqual([3]);
  });
});

describe("prm failures", () => {
  it("times out", async () => {
    fake.handle(() => ({ status: 200, body: fixtureText("vllm-pooling-prm.json"), delayMs: 1_000 }));
    const started = performance.now();
    const timedOut = prm({ timeoutMs: 100 }).verify({ trace, final: true, prompt: question });
    await expect(timedOut).rejects.toThrow(/^prm: POST http:\/\/127\.0\.0\.1:\d+\/pooling timed out after 100 ms$/);
    await expect(timedOut).rejects.toMatchObject({ code: "UNAVAILABLE", retryable: true, httpStatus: undefined });
    expect(performance.now() - started).toBeLessThan(800);
  });

  it("reports a 500 with vLLM's error message", async () => {
    fake.handle(() => ({ status: 500, body: fixtureText("vllm-error-500.json") }));
    const failed = prm().verify({ trace, final: true, prompt: question });
    await expect(failed).rejects.toThrow(/answered HTTP 500: .*EngineCore encountered an issue/);
    await expect(failed).rejects.toMatchObject({ code: "UNAVAILABLE", retryable: true, httpStatus: 500 });
  });

  it("reports connection refused, a dropped connection and an answer it cannot read", async () => {
    const down = prm({ url: `http://127.0.0.1:${await closedPort()}` });
    const refused = down.verify({ trace, final: true, prompt: question });
    await expect(refused).rejects.toThrow(/^prm: POST .* failed: ECONNREFUSED/);
    await expect(refused).rejects.toMatchObject({ code: "UNAVAILABLE", retryable: true });
    fake.handle(() => ({ drop: true }));
    await expect(prm().verify({ trace, final: true, prompt: question })).rejects.toThrow(/^prm: POST .* failed: /);
    fake.handle(() => ({ status: 200, body: "<html>not json</html>" }));
    const unreadable = prm().verify({ trace, final: true, prompt: question });
    await expect(unreadable).rejects.toThrow(/invalid JSON: <html>not json<\/html>/);
    await expect(unreadable).rejects.toMatchObject({ code: "UNAVAILABLE", retryable: false });
    fake.handle(() => ({ status: 200, body: JSON.stringify({ object: "list", data: [{ index: 0, object: "pooling", data: [[0, 1]] }] }) }));
    await expect(prm().verify({ trace, final: true, prompt: question })).rejects.toThrow(/1 step rows for 4 steps/);
  });

  it("fails a whole batch together when the engine is down, and fails queued calls on close", async () => {
    const down = prm({ url: `http://127.0.0.1:${await closedPort()}`, batchWindowMs: 10 });
    const results = await Promise.allSettled([1, 2, 3].map((k) => down.verify({ trace: `step ${k}\n`, final: true, prompt: "q" })));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(down.stats).toEqual({ requests: 1, inputs: 3 });
    const v = prm({ batchWindowMs: 1_000 });
    const pending = v.verify({ trace: "step\n", final: true, prompt: "q" });
    v.close();
    await expect(pending).rejects.toThrow(/shutting down/);
    await expect(pending).rejects.toMatchObject({ code: "UNAVAILABLE", retryable: true });
  });
});
