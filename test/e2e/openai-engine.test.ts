import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BranchStatus } from "@ttc/proto";
import {
  FakeOpenAI,
  type FakeReply,
  type OtlpReceiver,
  request,
  startOtlpReceiver,
  startTestCluster,
  type TestCluster,
  until,
} from "@ttc/test-harness";

/**
 * One `text_completion` stream in vLLM's wire format: every token with its logprob and top-5
 * alternatives, then the usage chunk and [DONE]. `confident` streams put almost all probability on
 * the sampled token; the others spread it, which is what DeepConf's group confidence measures.
 */
function completionStream(id: string, tokens: string[], confident: boolean): string[] {
  const events: string[] = [];
  let offset = 0;
  tokens.forEach((token, i) => {
    const sampled = confident ? -0.01 : -1.5;
    const alternatives = confident ? [-9, -10, -11, -12] : [-1.6, -1.7, -1.8, -1.9];
    const top: Record<string, number> = { [token]: sampled };
    alternatives.forEach((lp, j) => (top[` alt${i}_${j}`] = lp));
    const chunk = {
      id,
      object: "text_completion",
      created: 1749626640,
      model: "fake-model",
      choices: [
        {
          index: 0,
          text: token,
          logprobs: { text_offset: [offset], token_logprobs: [sampled], tokens: [token], top_logprobs: [top] },
          finish_reason: i === tokens.length - 1 ? "stop" : null,
          stop_reason: null,
        },
      ],
      usage: null,
    };
    offset += token.length;
    events.push(`data: ${JSON.stringify(chunk)}\n\n`);
  });
  const usage = {
    id,
    object: "text_completion",
    created: 1749626640,
    model: "fake-model",
    choices: [],
    usage: {
      prompt_tokens: 12,
      total_tokens: 12 + tokens.length,
      completion_tokens: tokens.length,
      prompt_tokens_details: { cached_tokens: 8 },
    },
  };
  events.push(`data: ${JSON.stringify(usage)}\n\n`, "data: [DONE]\n\n");
  return events;
}

function trace(steps: number, answer: string): string[] {
  const tokens: string[] = [];
  for (let s = 1; s <= steps; s++) tokens.push("Step", ` ${s}:`, " we", " reason", " carefully", ".\n");
  tokens.push("The", " answer", " is", ` \\boxed{${answer}}`, ".\n");
  return tokens;
}

/**
 * A cluster whose workers drive an OpenAI-compatible engine (the fake, speaking vLLM's format):
 * DeepConf's warm-up sets the confidence bar from real top-k logprobs, later low-confidence branches
 * are pruned mid-stream, and the engine sees their HTTP streams closed.
 */
describe("workers on an OpenAI-compatible engine", () => {
  let engine: FakeOpenAI;
  let c: TestCluster;
  let otlp: OtlpReceiver;
  beforeAll(async () => {
    engine = await FakeOpenAI.start();
    otlp = await startOtlpReceiver();
    c = await startTestCluster({
      workers: 2,
      capacity: 4,
      env: {
        TTC_WORKER_BACKEND: "openai",
        TTC_OPENAI_BASE_URL: engine.baseURL,
        TTC_OPENAI_MODEL: "fake-model",
        TTC_OPENAI_HEALTH_INTERVAL_MS: "0",
        TTC_CONFIDENCE_WINDOW: "8",
        TTC_CHUNK_TOKENS: "4",
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: "100",
      },
    });
  });
  afterAll(async () => {
    await c?.stop();
    await engine?.close();
    await otlp?.stop();
  });

  it("deepconf prunes low-confidence branches and the engine sees their streams closed", async () => {
    // The warm-up does not settle the vote (3 to 1 is below the 0.99 consensus), so later branches run.
    const warm: FakeReply[] = ["42", "42", "42", "17"].map((a, i) => ({
      kind: "stream",
      events: completionStream(`cmpl-warm${i}`, trace(3, a), true),
      intervalMs: 2,
    }));
    // Later branches are long and slow, so a prune arrives long before they could finish.
    const doubtful: FakeReply[] = [0, 1, 2, 3].map((i) => ({
      kind: "stream",
      events: completionStream(`cmpl-doubt${i}`, trace(40, "17"), false),
      intervalMs: 20,
    }));
    engine.enqueue(...warm, ...doubtful);
    const r = await c.client.solve(
      request({
        prompt: "What is 6 * 7?",
        maxBranches: 8,
        parallelism: 8,
        verifier: "none",
        policy: { name: "deepconf", params: { warmup: 4, eta: 90, threshold: 0.99 } },
      }),
      { timeoutMs: 30_000 },
    );
    expect(r.answer).toBe("42");
    const pruned = r.branches.filter((b) => b.status === BranchStatus.BRANCH_STATUS_PRUNED);
    expect(pruned.length).toBeGreaterThan(0);
    for (const b of pruned) expect(b.reason).toMatch(/below the warm-up bar/);
    // Every doubtful stream was cut by the worker: closed by the client, never completed.
    const generations = engine.generations;
    expect(generations).toHaveLength(8);
    const cut = generations.filter((g) => g.closedAt !== undefined && !g.completed);
    expect(cut.length).toBeGreaterThanOrEqual(pruned.length);
    // Requests carried the branch seed and asked for top-5 logprobs and usage.
    for (const g of generations) {
      expect(g.body?.["logprobs"]).toBe(5);
      expect(typeof g.body?.["seed"]).toBe("number");
      expect(g.body?.["stream_options"]).toEqual({ include_usage: true });
    }
    expect(r.compute!.cachedPromptTokens).toBeGreaterThan(0);
    // Per branch too: the fake engine reports 8 cached prompt tokens on every finished stream.
    for (const b of r.branches.filter((x) => x.status === BranchStatus.BRANCH_STATUS_FINISHED)) expect(b.cachedPromptTokens).toBe(8);
    // Each engine request carried its branch attempt's W3C trace context: the engine's spans join the query's trace.
    const attempts = () => otlp.spans.filter((s) => s.name === "ttc.branch.attempt" && s.attributes["ttc.query_id"] === r.queryId);
    // The scheduler's and the workers' batches arrive in any order: wait for both.
    const querySpan = () => otlp.spans.find((s) => s.name === "ttc.query" && s.attributes["ttc.query_id"] === r.queryId);
    const query = await until(() => (attempts().length >= 8 ? querySpan() : undefined), 10_000, "the query's and the attempts' spans");
    const attemptIds = new Set(attempts().map((a) => a.spanId));
    for (const g of generations) {
      const [, traceId, parentId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(String(g.headers["traceparent"])) ?? [];
      expect(traceId).toBe(query.traceId);
      expect(attemptIds.has(parentId!)).toBe(true);
    }
  });

  it("an engine that rejects the request (HTTP 400) gives INVALID_ARGUMENT with the engine's message", async () => {
    const body = JSON.stringify({
      object: "error",
      message: "This model's maximum context length is 32 tokens.",
      type: "BadRequestError",
      param: null,
      code: 400,
    });
    engine.enqueue({ kind: "json", status: 400, body }, { kind: "json", status: 400, body });
    const err = (await c.client
      .solve(request({ prompt: "too long", maxBranches: 2, parallelism: 2, verifier: "none", policy: { name: "majority", params: {} } }), {
        timeoutMs: 20_000,
      })
      .then(
        (r) => {
          throw new Error(`expected INVALID_ARGUMENT, got a result: ${JSON.stringify(r.branches)}`);
        },
        (e: unknown) => e,
      )) as {
      code: number;
      details: string;
    };
    expect(err.code).toBe(3); // INVALID_ARGUMENT
    expect(err.details).toMatch(/maximum context length/);
  });
});
