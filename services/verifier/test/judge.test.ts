import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  JUDGE_PROMPT_TEMPLATE,
  JUDGE_SYSTEM_PROMPT,
  JudgeVerifier,
  judgePrompt,
  parseVerdict,
  type JudgeOptions,
} from "../src/engines/judge.js";
import { closedPort, fixtureText, startFakeServer, type FakeServer } from "./fixtures/fake-engines.js";

const question =
  "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?";
const solution = "In May she sold 48 / 2 = 24 clips.\nAltogether 48 + 24 = 72 clips.\nThe answer is \\boxed{72}.";

let fake: FakeServer;

function judge(over: Partial<JudgeOptions> = {}): JudgeVerifier {
  return new JudgeVerifier({
    url: fake.url,
    model: "Qwen/Qwen2.5-7B-Instruct",
    timeoutMs: 2_000,
    maxTokens: 1024,
    rejectIncorrect: false,
    ...over,
  });
}

beforeAll(async () => {
  fake = await startFakeServer(() => ({ status: 200, body: fixtureText("chat-judge-correct.json") }));
});
afterEach(() => {
  fake.requests.length = 0;
  fake.handle(() => ({ status: 200, body: fixtureText("chat-judge-correct.json") }));
});
afterAll(() => fake.close());

describe("judge prompt", () => {
  it("gives the question and the candidate solution and asks for a verdict line and a confidence", () => {
    const prompt = judgePrompt(question, solution);
    expect(prompt).toContain(`Problem:\n"""\n${question}\n"""`);
    expect(prompt).toContain(`Candidate solution:\n"""\n${solution}\n"""`);
    expect(prompt).toMatch(/VERDICT: CORRECT .*VERDICT: INCORRECT/);
    expect(prompt).toMatch(/CONFIDENCE: a number from 0 to 1/);
    expect(prompt.endsWith("how sure you are of your verdict")).toBe(true);
    expect(JUDGE_PROMPT_TEMPLATE.match(/\{question\}|\{solution\}/g)).toEqual(["{question}", "{solution}"]);
    // `$` patterns in the text are not replacement patterns.
    expect(judgePrompt("cost $&", "x = $1")).toContain('"""\ncost $&\n"""');
  });
});

describe("parseVerdict", () => {
  it.each([
    ["VERDICT: CORRECT\nCONFIDENCE: 0.9", { verdict: "CORRECT", confidence: 0.9 }],
    ["verdict: incorrect", { verdict: "INCORRECT" }],
    ["**Verdict:** Incorrect\n**Confidence:** 80%", { verdict: "INCORRECT", confidence: 0.8 }],
    ["Final VERDICT = `CORRECT` (CONFIDENCE: .75)", { verdict: "CORRECT", confidence: 0.75 }],
    ["At first I thought VERDICT: INCORRECT, but step 2 is fine.\nVERDICT: CORRECT", { verdict: "CORRECT" }],
    ["VERDICT: CORRECT\nCONFIDENCE: 7", { verdict: "CORRECT" }],
    ["VERDICT: CORRECT\nConfidence: high", { verdict: "CORRECT" }],
  ])("reads %j", (text, expected) => {
    expect(parseVerdict(text)).toEqual(expected);
  });

  it.each(["The solution is correct.", "VERDICT: NOT CORRECT", "VERDICT: probably correct", "", "CORRECT\nCONFIDENCE: 0.9"])(
    "finds no verdict in %j",
    (text) => {
      expect(parseVerdict(text)).toBeNull();
    },
  );
});

describe("judge", () => {
  it("POSTs a greedy non-streaming chat completion with the prompt and scores CORRECT by its confidence", async () => {
    const out = await judge({ apiKey: "sk-test" }).verify({ trace: solution, final: true, prompt: question });
    expect(out).toEqual({ score: 0.9, stepScores: [], reject: false, reason: "judge: CORRECT (confidence 0.9)", verified: false });
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.headers["authorization"]).toBe("Bearer sk-test");
    expect(req.body).toEqual({
      model: "Qwen/Qwen2.5-7B-Instruct",
      messages: [
        { role: "system", content: JUDGE_SYSTEM_PROMPT },
        { role: "user", content: judgePrompt(question, solution) },
      ],
      temperature: 0,
      max_tokens: 1024,
      stream: false,
    });
  });

  it("takes a URL ending in /v1 and sends no Authorization without a key", async () => {
    await judge({ url: `${fake.url}/v1/` }).verify({ trace: solution, final: true, prompt: question });
    expect(fake.requests[0]!.path).toBe("/v1/chat/completions");
    expect(fake.requests[0]!.headers["authorization"]).toBeUndefined();
  });

  it("scores INCORRECT as 1 − confidence and rejects only when told to", async () => {
    fake.handle(() => ({ status: 200, body: fixtureText("chat-judge-incorrect.json") }));
    const out = await judge().verify({ trace: solution, final: true, prompt: question });
    expect(out.score).toBeCloseTo(0.2, 12);
    expect(out).toMatchObject({ stepScores: [], reject: false, reason: "judge: INCORRECT (confidence 0.8)", verified: false });
    expect(await judge({ rejectIncorrect: true }).verify({ trace: solution, final: true, prompt: question })).toMatchObject({
      reject: true,
    });
    fake.handle(() => ({ status: 200, body: fixtureText("chat-judge-correct.json") }));
    expect(await judge({ rejectIncorrect: true }).verify({ trace: solution, final: true, prompt: question })).toMatchObject({
      reject: false,
      score: 0.9,
    });
  });

  it("defaults the confidence to 1: CORRECT scores 1, INCORRECT 0", async () => {
    const reply = (content: string) => {
      const json = JSON.parse(fixtureText("chat-judge-correct.json")) as { choices: { message: { content: string } }[] };
      json.choices[0]!.message.content = content;
      return { status: 200, body: JSON.stringify(json) };
    };
    fake.handle(() => reply("All steps check out.\nVERDICT: CORRECT"));
    expect((await judge().verify({ trace: solution, final: true, prompt: question })).score).toBe(1);
    fake.handle(() => reply("Step 2 is wrong.\nVERDICT: INCORRECT"));
    expect((await judge().verify({ trace: solution, final: true, prompt: question })).score).toBe(0);
  });

  it("treats a reply without a verdict as an error, not a guess", async () => {
    fake.handle(() => ({ status: 200, body: fixtureText("chat-judge-garbage.json") }));
    const garbage = judge().verify({ trace: solution, final: true, prompt: question });
    await expect(garbage).rejects.toThrow(
      /^judge: no "VERDICT: CORRECT\|INCORRECT" line in the reply \(the reply hit max_tokens 1024\): Let me check/,
    );
    await expect(garbage).rejects.toMatchObject({ name: "EngineError", code: "UNAVAILABLE", retryable: false });
    fake.handle(() => ({ status: 200, body: JSON.stringify({ choices: [] }) }));
    await expect(judge().verify({ trace: solution, final: true, prompt: question })).rejects.toThrow(
      /without choices\[0\]\.message\.content/,
    );
  });

  it("judges only finished traces", async () => {
    expect(judge().partial).toBe(false);
    const partial = judge().verify({ trace: "In May she sold", final: false, prompt: question });
    await expect(partial).rejects.toThrow(/only finished traces are judged/);
    await expect(partial).rejects.toMatchObject({ code: "INVALID_ARGUMENT", retryable: false });
    expect(fake.requests).toHaveLength(0);
  });

  it("fails on timeout, 500 and connection refused", async () => {
    fake.handle(() => ({ status: 200, body: fixtureText("chat-judge-correct.json"), delayMs: 1_000 }));
    await expect(judge({ timeoutMs: 100 }).verify({ trace: solution, final: true, prompt: question })).rejects.toThrow(
      /^judge: POST .*\/v1\/chat\/completions timed out after 100 ms$/,
    );
    fake.handle(() => ({ status: 500, body: fixtureText("vllm-error-500.json") }));
    await expect(judge().verify({ trace: solution, final: true, prompt: question })).rejects.toThrow(/answered HTTP 500/);
    const down = judge({ url: `http://127.0.0.1:${await closedPort()}` });
    await expect(down.verify({ trace: solution, final: true, prompt: question })).rejects.toThrow(/failed: ECONNREFUSED/);
  });

  it("names a rejected key (401) a deployment problem: FAILED_PRECONDITION, not retried", async () => {
    fake.handle(() => ({
      status: 401,
      body: JSON.stringify({ error: { message: "Incorrect API key provided", type: "invalid_request_error" } }),
    }));
    const refused = judge({ apiKey: "wrong" }).verify({ trace: solution, final: true, prompt: question });
    await expect(refused).rejects.toThrow(/answered HTTP 401: .*Incorrect API key/);
    await expect(refused).rejects.toMatchObject({ code: "FAILED_PRECONDITION", retryable: false, httpStatus: 401 });
  });
});
