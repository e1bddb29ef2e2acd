import { describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { AnswerFormat, SolveRequest } from "@ttc/proto";
import { loadSchedulerConfig } from "../src/config.js";
import { ServiceError } from "../src/errors.js";
import { branchSeed, resolveRequest } from "../src/resolve-request.js";

const config = loadSchedulerConfig({});
const { limits } = config;

type RequestFields = Parameters<typeof SolveRequest.fromPartial>[0];
const request = (fields: RequestFields = {}) => SolveRequest.fromPartial({ prompt: "What is 17 + 25?", ...fields });
const resolve = (fields: RequestFields = {}) => resolveRequest(request(fields), config);

/** The INVALID_ARGUMENT a request is rejected with. */
function rejection(fields: RequestFields): ServiceError {
  let error: unknown;
  try {
    resolve(fields);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ServiceError);
  const serviceError = error as ServiceError;
  expect(serviceError.code).toBe(status.INVALID_ARGUMENT);
  return serviceError;
}

describe("resolveRequest validation", () => {
  it.each(["", "   ", " \n\t "])("rejects the empty prompt %j", (prompt) => {
    expect(rejection({ prompt }).message).toBe("prompt: must not be empty");
  });

  it("rejects a prompt over the byte limit, counting the system prompt and multi-byte characters", () => {
    expect(rejection({ prompt: "x".repeat(limits.maxPromptBytes + 1) }).message).toBe(
      `prompt: prompt and system_prompt are ${limits.maxPromptBytes + 1} bytes, over the limit of ${limits.maxPromptBytes} bytes`,
    );
    const half = limits.maxPromptBytes / 2;
    expect(rejection({ prompt: "x".repeat(half), systemPrompt: "y".repeat(half + 1) }).message).toMatch(/^prompt: .* over the limit/);
    // "é" is two bytes in UTF-8: half as many characters already fill the limit.
    expect(rejection({ prompt: "é".repeat(half + 1) }).message).toMatch(/^prompt: /);
    expect(resolve({ prompt: "x".repeat(limits.maxPromptBytes) }).prompt).toHaveLength(limits.maxPromptBytes);
  });

  it("rejects an over-long model name", () => {
    expect(rejection({ model: "m".repeat(257) }).message).toMatch(/^model: /);
    expect(resolve({ model: "m".repeat(256) }).model).toHaveLength(256);
  });

  it("rejects max_branches over the limit, naming the field and the limit", () => {
    const { message } = rejection({ maxBranches: limits.maxBranches + 1 });
    expect(message).toBe(`max_branches: ${limits.maxBranches + 1} is over the limit of ${limits.maxBranches}`);
    expect(resolve({ maxBranches: limits.maxBranches }).limits.maxBranches).toBe(limits.maxBranches);
  });

  it("rejects max_tokens_per_branch over the limit", () => {
    const { message } = rejection({ maxTokensPerBranch: limits.maxTokensPerBranch + 1 });
    expect(message).toBe(`max_tokens_per_branch: ${limits.maxTokensPerBranch + 1} is over the limit of ${limits.maxTokensPerBranch}`);
  });

  it("rejects token_budget over the limit", () => {
    const { message } = rejection({ tokenBudget: limits.maxTokenBudget + 1 });
    expect(message).toBe(`token_budget: ${limits.maxTokenBudget + 1} is over the limit of ${limits.maxTokenBudget}`);
  });

  it("rejects an unknown policy, naming policy.name and the known policies", () => {
    const { message } = rejection({ policy: { name: "beam-search" } });
    expect(message).toMatch(/^policy\.name: /);
    expect(message).toContain('"beam-search"');
    expect(message).toContain("majority");
    expect(message).toContain("adaptive");
  });

  it("rejects an out-of-range or unknown policy parameter, naming the parameter", () => {
    expect(rejection({ policy: { name: "adaptive", params: { threshold: 2 } } }).message).toBe(
      "policy.params.threshold: adaptive threshold must be in (0.5, 1) (stop when P(leader is majority) reaches it), got 2",
    );
    expect(rejection({ policy: { name: "adaptive", params: { threshold: 0.5 } } }).message).toMatch(/^policy\.params\.threshold: /);
    expect(rejection({ policy: { name: "majority", params: { threshold: 0.9 } } }).message).toMatch(
      /^policy\.params\.threshold: unknown parameter/,
    );
  });

  it("rejects an unknown verifier, listing the known ones", () => {
    expect(rejection({ verifier: "z3" }).message).toBe(
      'verifier: unknown verifier "z3"; known: none, arith, rule, recorded, confidence, prm, judge',
    );
  });

  it("rejects an unknown answer format enum value", () => {
    expect(rejection({ answerFormat: 99 as AnswerFormat }).message).toBe("answer_format: unknown value 99");
  });
});

describe("resolveRequest defaults", () => {
  it("fills in every default from the config", () => {
    const q = resolve({ seed: 7 });
    expect(q.limits).toEqual({
      maxBranches: config.defaults.branches,
      parallelism: config.defaults.parallelism,
      tokenBudget: config.defaults.branches * config.defaults.maxTokens,
      mode: "waves",
    });
    expect(q.maxTokensPerBranch).toBe(config.defaults.maxTokens);
    expect(q.policy.name).toBe("adaptive");
    expect(q.policy.params).toEqual({ threshold: 0.95, dirichlet: 0, stopOnVerified: 0 });
    expect(q.verifier).toBe("arith");
    expect(q.answerFormat).toBe("text");
    expect(q.answerFormatEnum).toBe(AnswerFormat.ANSWER_FORMAT_TEXT);
    expect(q).toMatchObject({ systemPrompt: "", model: "", seed: 7 });
  });

  it("clamps parallelism to max_branches, including the default parallelism", () => {
    expect(resolve({ maxBranches: 3, parallelism: 10 }).limits.parallelism).toBe(3);
    expect(resolve({ maxBranches: 2 }).limits.parallelism).toBe(2);
    expect(resolve({ maxBranches: 50, parallelism: 10 }).limits.parallelism).toBe(10);
  });

  it("derives the token budget from branches × max tokens, capped by the limit, unless given", () => {
    expect(resolve({ maxBranches: 5, maxTokensPerBranch: 100 }).limits.tokenBudget).toBe(500);
    const capped = resolve({ maxBranches: limits.maxBranches, maxTokensPerBranch: limits.maxTokensPerBranch });
    expect(limits.maxBranches * limits.maxTokensPerBranch).toBeGreaterThan(limits.maxTokenBudget);
    expect(capped.limits.tokenBudget).toBe(limits.maxTokenBudget);
    expect(resolve({ maxBranches: 5, maxTokensPerBranch: 100, tokenBudget: 123 }).limits.tokenBudget).toBe(123);
  });

  it("keeps requested policy, verifier and answer format", () => {
    const q = resolve({ policy: { name: "majority" }, verifier: "none", answerFormat: AnswerFormat.ANSWER_FORMAT_NUMBER });
    expect(q.policy.name).toBe("majority");
    expect(q.verifier).toBe("none");
    expect(q.answerFormat).toBe("number");
    expect(q.answerFormatEnum).toBe(AnswerFormat.ANSWER_FORMAT_NUMBER);
    expect(resolve({ policy: { name: "adaptive", params: { threshold: 0.8 } } }).policy.params).toEqual({
      threshold: 0.8,
      dirichlet: 0,
      stopOnVerified: 0,
    });
  });

  it("picks a random non-zero safe-integer seed when the seed is 0, and keeps a given one", () => {
    const seeds = Array.from({ length: 20 }, () => resolve({ seed: 0 }).seed);
    for (const seed of seeds) {
      expect(seed).not.toBe(0);
      expect(Number.isSafeInteger(seed)).toBe(true);
    }
    expect(new Set(seeds).size).toBeGreaterThan(15);
    expect(resolve({ seed: 12345 }).seed).toBe(12345);
    expect(resolve({ seed: 2 ** 50 + 3 }).seed).toBe(2 ** 50 + 3);
  });

  it("gives each query a fresh policy instance", () => {
    expect(resolve().policy).not.toBe(resolve().policy);
  });
});

describe("branchSeed", () => {
  it("is deterministic in the query seed and the index", () => {
    for (const seed of [1, 42, 0xffffffff, 2 ** 40 + 17]) {
      for (const index of [0, 1, 999]) expect(branchSeed(seed, index)).toBe(branchSeed(seed, index));
    }
  });

  it("gives 1000 distinct seeds for 1000 branch indexes", () => {
    for (const seed of [1, 987654321, 2 ** 47 + 5]) {
      const seeds = Array.from({ length: 1000 }, (_, i) => branchSeed(seed, i));
      expect(new Set(seeds).size).toBe(1000);
      for (const s of seeds) expect(Number.isSafeInteger(s) && s >= 0).toBe(true);
    }
  });

  it("differs between query seeds and keeps the seed's high bits", () => {
    const a = Array.from({ length: 50 }, (_, i) => branchSeed(1, i));
    const b = Array.from({ length: 50 }, (_, i) => branchSeed(2, i));
    expect(a.filter((s, i) => s === b[i])).toEqual([]);
    const high = 2 ** 40 * 3;
    const s = branchSeed(high + 99, 4);
    expect(Math.floor(s / 2 ** 32)).toBe(Math.floor((high + 99) / 2 ** 32));
  });

  it("seeds exactly as before it was built on @ttc/stats (pinned from the old code)", () => {
    const pairs = [
      [1, 0],
      [1, 1],
      [2, 0],
      [42, 7],
      [0xffffffff, 3],
      [2 ** 40 + 99, 4],
      [0, 999],
    ] as const;
    expect(pairs.map(([seed, index]) => branchSeed(seed, index))).toEqual([
      2980047484, 232174035, 2117216093, 2784414415, 794245118, 1102307609954, 1495803851,
    ]);
  });
});
