import { describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { AnswerFormat, ConsensusUpdate, ExecutionMode, SolveResult, StopReason } from "@ttc/proto";
import { invalidArgument, ServiceError } from "../src/errors.js";
import { fromServiceError, OpenAiError } from "../src/openai/errors.js";
import { parseOpenAiRequest, readModel } from "../src/openai/request.js";
import { ChunkWriter, completionResponse, finishReason } from "../src/openai/response.js";

const chat = (over: object = {}) => ({ model: "ttc", messages: [{ role: "user", content: "What is 17 + 25?" }], ...over });

function refusal(endpoint: "chat" | "completions", body: unknown): OpenAiError {
  try {
    parseOpenAiRequest(endpoint, body);
  } catch (err) {
    expect(err).toBeInstanceOf(OpenAiError);
    return err as OpenAiError;
  }
  throw new Error("accepted");
}

describe("reading an OpenAI request", () => {
  it("reads the strategy from the model name; any other name is the engine model", () => {
    expect(readModel("ttc")).toEqual({ policy: "", verifier: "", engineModel: "" });
    expect(readModel("ttc/adaptive")).toEqual({ policy: "adaptive", verifier: "", engineModel: "" });
    expect(readModel("ttc/adaptive@rule/Qwen/Qwen3-8B")).toEqual({ policy: "adaptive", verifier: "rule", engineModel: "Qwen/Qwen3-8B" });
    expect(readModel("Qwen/Qwen3-8B")).toEqual({ policy: "", verifier: "", engineModel: "Qwen/Qwen3-8B" });
    for (const bad of ["ttc/", "ttc/@rule", "ttc/a@", "ttc/a@b@c/m"]) expect(() => readModel(bad)).toThrow(OpenAiError);
  });

  it("maps a chat request onto SolveRequest: n is the branch budget, the ttc object the rest", () => {
    const call = parseOpenAiRequest(
      "chat",
      chat({
        model: "ttc/majority@arith/m1",
        messages: [
          { role: "system", content: "Be brief." },
          {
            role: "user",
            content: [
              { type: "text", text: "What is " },
              { type: "text", text: "2+2?" },
            ],
          },
        ],
        n: 8,
        max_completion_tokens: 300,
        seed: 42,
        temperature: 0.7,
        stream: true,
        stream_options: { include_usage: true },
        ttc: { mode: "sequential", parallelism: 2, answer_format: "number", token_budget: 1000, request_id: "r-1", params: { k: 3 } },
      }),
    );
    expect(call).toMatchObject({ stream: true, includeUsage: true, content: "trace", model: "ttc/majority@arith/m1" });
    expect(call.solve).toMatchObject({
      prompt: "What is 2+2?",
      systemPrompt: "Be brief.",
      model: "m1",
      maxBranches: 8,
      maxTokensPerBranch: 300,
      seed: 42,
      tokenBudget: 1000,
      parallelism: 2,
      mode: ExecutionMode.EXECUTION_MODE_SEQUENTIAL,
      answerFormat: AnswerFormat.ANSWER_FORMAT_NUMBER,
      policy: { name: "majority", params: { k: 3 } },
      verifier: "arith",
      requestId: "r-1",
      includeAnswerTrace: true,
    });
  });

  it("writes a conversation out turn by turn", () => {
    const call = parseOpenAiRequest(
      "chat",
      chat({
        messages: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello" },
          { role: "user", content: "2+2?" },
        ],
      }),
    );
    expect(call.solve.prompt).toBe("User: Hi\n\nAssistant: Hello\n\nUser: 2+2?");
  });

  it("reads a legacy completion's prompt", () => {
    const call = parseOpenAiRequest("completions", { model: "ttc", prompt: ["2+2?"], max_tokens: 64 });
    expect(call.solve).toMatchObject({ prompt: "2+2?", maxTokensPerBranch: 64, systemPrompt: "" });
  });

  it.each([
    ["not an object", [1], null, /JSON object/],
    ["no model", { messages: [{ role: "user", content: "x" }] }, "model", /model is required/],
    ["an unknown field", chat({ frobnicate: 1 }), "frobnicate", /unrecognized request argument supplied: frobnicate/],
    ["an unknown ttc field", chat({ ttc: { polcy: "x" } }), "ttc.polcy", /unrecognized/],
    ["a bad role", chat({ messages: [{ role: "robot", content: "x" }] }), "messages[0].role", /messages\[0\]\.role/],
    [
      "an image part",
      chat({ messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }] }),
      "messages[0].content",
      /content/,
    ],
    ["n = 0", chat({ n: 0 }), "n", /^n: /],
    ["a bad mode", chat({ ttc: { mode: "fast" } }), "ttc.mode", /ttc\.mode/],
    ["stop sequences", chat({ stop: ["\n"] }), "stop", /not supported/],
    ["logprobs", chat({ logprobs: true }), "logprobs", /logprobs/],
    ["a policy twice", chat({ model: "ttc/adaptive", ttc: { policy: "majority" } }), "ttc.policy", /give it once/],
  ])("refuses %s with 400 naming %s", (_name, body, param, message) => {
    const err = refusal("chat", body);
    expect(err.httpStatus).toBe(400);
    expect(err.param).toBe(param);
    expect(err.message).toMatch(message);
  });

  it("accepts and ignores sampling fields clients send by default", () => {
    expect(() => parseOpenAiRequest("chat", chat({ temperature: 0, top_p: 1, user: "u", stop: null, tools: [] }))).not.toThrow();
  });
});

describe("scheduler errors in OpenAI's shape", () => {
  it.each([
    [invalidArgument("max_branches", "too many"), 400, "n"],
    [invalidArgument("policy.params.threshold", "out of range"), 400, "ttc.params.threshold"],
    [invalidArgument("policy.name", "unknown"), 400, "ttc.policy"],
    [new ServiceError(status.UNAUTHENTICATED, "no token"), 401, null],
    [new ServiceError(status.PERMISSION_DENIED, "not yours"), 403, null],
    [new ServiceError(status.RESOURCE_EXHAUSTED, "busy", { retryDelayMs: 2_500 }), 429, null],
    [new ServiceError(status.UNAVAILABLE, "no workers"), 503, null],
    [new ServiceError(status.DEADLINE_EXCEEDED, "late"), 504, null],
    [new ServiceError(status.INTERNAL, "bug"), 500, null],
  ])("%s is HTTP %i (param %s)", (err, httpStatus, param) => {
    const e = fromServiceError(err);
    expect(e.httpStatus).toBe(httpStatus);
    expect(e.param).toBe(param);
    expect(e.body().error.message).toBe(err.message);
  });

  it("turns a retry delay into retry-after seconds, rounded up (1 s when none is known)", () => {
    expect(fromServiceError(new ServiceError(status.RESOURCE_EXHAUSTED, "x", { retryDelayMs: 2_500 })).retryAfterSeconds).toBe(3);
    expect(fromServiceError(new ServiceError(status.RESOURCE_EXHAUSTED, "x")).retryAfterSeconds).toBe(1);
  });
});

describe("writing OpenAI responses", () => {
  const result = SolveResult.fromPartial({
    queryId: "q1",
    answer: "42",
    answerTrace: "17 + 25 = 42. The answer is 42.",
    support: 0.75,
    votes: [{ answer: "42", count: 3, weight: 3 }],
    compute: { promptTokens: 40, generatedTokens: 400, wastedTokens: 100, cachedPromptTokens: 30, branchesLaunched: 4 },
    stopReason: StopReason.STOP_REASON_CONSENSUS,
    policy: { name: "majority", params: {} },
    seed: 9,
  });
  const call = parseOpenAiRequest("chat", chat({ model: "ttc/majority" }));

  it("puts the winning branch's text in the message and bills the whole query", () => {
    const r = completionResponse(call, result, 1000) as Record<string, any>;
    expect(r["id"]).toBe("chatcmpl-q1");
    expect(r["choices"][0].message).toEqual({ role: "assistant", content: result.answerTrace, refusal: null });
    expect(r["usage"]).toEqual({
      prompt_tokens: 40,
      completion_tokens: 400,
      total_tokens: 440,
      prompt_tokens_details: { cached_tokens: 30 },
      wasted_tokens: 100,
    });
    expect(r["ttc"]).toMatchObject({ query_id: "q1", answer: "42", support: 0.75, stop_reason: "consensus", seed: 9 });
    const answerOnly = parseOpenAiRequest("chat", chat({ ttc: { content: "answer" } }));
    expect((completionResponse(answerOnly, result, 1000) as Record<string, any>)["choices"][0].message.content).toBe("42");
  });

  it("ends with length when a budget or the deadline stopped the query", () => {
    expect(finishReason(result)).toBe("stop");
    expect(finishReason({ ...result, stopReason: StopReason.STOP_REASON_TOKEN_BUDGET })).toBe("length");
    expect(finishReason({ ...result, stopReason: StopReason.STOP_REASON_DEADLINE })).toBe("length");
  });

  it("streams the role, consensus snapshots without text, then text, finish and usage", () => {
    const streaming = parseOpenAiRequest("chat", chat({ stream: true, stream_options: { include_usage: true } }));
    const w = new ChunkWriter(streaming, "s1", 1000);
    const opening = w.opening() as Record<string, any>;
    expect(opening["choices"][0].delta).toEqual({ role: "assistant", content: "" });
    expect(opening["usage"]).toBeNull();
    const update = w.consensus(ConsensusUpdate.fromPartial({ leader: "42", votes: [{ answer: "42", count: 2, weight: 2 }] })) as Record<
      string,
      any
    >;
    expect(update["choices"][0].delta).toEqual({});
    expect(update["ttc"]).toMatchObject({ event: "consensus", leader: "42" });
    const [text, finish, usage] = w.closing(result) as Record<string, any>[];
    expect(text!["choices"][0].delta.content).toBe(result.answerTrace);
    expect(finish!["choices"][0].finish_reason).toBe("stop");
    expect(usage!["choices"]).toEqual([]);
    expect(usage!["usage"].completion_tokens).toBe(400);
    expect(new Set([opening, update, text, finish, usage].map((c) => c!["id"]))).toEqual(new Set(["chatcmpl-s1"]));
  });
});
