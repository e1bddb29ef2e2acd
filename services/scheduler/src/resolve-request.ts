import { randomBytes } from "node:crypto";
import {
  answerFormatFromLabel,
  answerFormatLabel,
  executionModeLabel,
  type AnswerFormatLabel,
  AnswerFormat,
  ExecutionMode,
  type SolveRequest,
} from "@ttc/proto";
import { createPolicy, engineVerifierNames, PolicyConfigError, verifierNames, type Policy, type QueryLimits } from "@ttc/policy";
import { fmix32, GOLDEN_PRIME_32 } from "@ttc/stats";
import type { SchedulerConfig } from "./config.js";
import { invalidArgument } from "./errors.js";

/** A validated request with every default filled in. */
export interface ResolvedQuery {
  /** The request as received. */
  request: SolveRequest;
  prompt: string;
  systemPrompt: string;
  model: string;
  limits: QueryLimits;
  maxTokensPerBranch: number;
  policy: Policy;
  verifier: string;
  answerFormat: AnswerFormatLabel;
  answerFormatEnum: AnswerFormat;
  seed: number;
  includeAnswerTrace: boolean;
}

/**
 * Validates a SolveRequest against the configured limits and fills in defaults.
 * Throws INVALID_ARGUMENT naming the first bad field and what would be accepted.
 */
export function resolveRequest(
  req: SolveRequest,
  config: Pick<SchedulerConfig, "defaults" | "limits"> & Partial<Pick<SchedulerConfig, "verifierMode">>,
): ResolvedQuery {
  const { defaults, limits } = config;
  const prompt = req.prompt ?? "";
  if (prompt.trim() === "") throw invalidArgument("prompt", "must not be empty");
  const promptBytes = Buffer.byteLength(prompt) + Buffer.byteLength(req.systemPrompt ?? "");
  if (promptBytes > limits.maxPromptBytes) {
    throw invalidArgument("prompt", `prompt and system_prompt are ${promptBytes} bytes, over the limit of ${limits.maxPromptBytes} bytes`);
  }
  if ((req.model ?? "").length > 256) throw invalidArgument("model", "must be at most 256 characters");

  const maxBranches = req.maxBranches || defaults.branches;
  if (maxBranches > limits.maxBranches) {
    throw invalidArgument("max_branches", `${maxBranches} is over the limit of ${limits.maxBranches}`);
  }
  const maxTokensPerBranch = req.maxTokensPerBranch || defaults.maxTokens;
  if (maxTokensPerBranch > limits.maxTokensPerBranch) {
    throw invalidArgument("max_tokens_per_branch", `${maxTokensPerBranch} is over the limit of ${limits.maxTokensPerBranch}`);
  }
  if (req.tokenBudget > limits.maxTokenBudget) {
    throw invalidArgument("token_budget", `${req.tokenBudget} is over the limit of ${limits.maxTokenBudget}`);
  }
  const tokenBudget = req.tokenBudget || Math.min(limits.maxTokenBudget, maxBranches * maxTokensPerBranch);
  // A wave wider than the branch budget is the same as all branches at once.
  const parallelism = Math.min(req.parallelism || defaults.parallelism, maxBranches);

  let policy: Policy;
  try {
    policy = createPolicy(req.policy?.name || defaults.policy, req.policy?.params ?? {});
  } catch (err) {
    if (err instanceof PolicyConfigError) throw invalidArgument(err.field, err.message);
    throw err;
  }

  const verifier = req.verifier || defaults.verifier;
  if (!(verifierNames as readonly string[]).includes(verifier)) {
    throw invalidArgument("verifier", `unknown verifier "${verifier}"; known: ${verifierNames.join(", ")}`);
  }
  if (config.verifierMode === "inline" && (engineVerifierNames as readonly string[]).includes(verifier)) {
    throw invalidArgument(
      "verifier",
      `"${verifier}" is served only by the verifier service, and this scheduler verifies inline (TTC_VERIFIER_MODE=inline)`,
    );
  }

  let answerFormat: AnswerFormatLabel;
  let answerFormatEnum: AnswerFormat;
  if (req.answerFormat === AnswerFormat.ANSWER_FORMAT_UNSPECIFIED) {
    answerFormat = defaults.answerFormat;
    answerFormatEnum = answerFormatFromLabel(answerFormat)!;
  } else {
    const label = answerFormatLabel(req.answerFormat);
    if (!label) throw invalidArgument("answer_format", `unknown value ${req.answerFormat}`);
    answerFormat = label;
    answerFormatEnum = req.answerFormat;
  }

  const mode = req.mode === ExecutionMode.EXECUTION_MODE_UNSPECIFIED ? defaults.mode : executionModeLabel(req.mode);
  if (!mode) throw invalidArgument("mode", `unknown value ${req.mode}`);

  // 2^53 keeps the seed exact in JavaScript numbers and in the JSON of the result.
  const seed = req.seed || Number(randomBytes(6).readUIntBE(0, 6));
  return {
    request: req,
    prompt,
    systemPrompt: req.systemPrompt ?? "",
    model: req.model ?? "",
    limits: { maxBranches, parallelism, tokenBudget, mode },
    maxTokensPerBranch,
    policy,
    verifier,
    answerFormat,
    answerFormatEnum,
    seed,
    includeAnswerTrace: req.includeAnswerTrace ?? false,
  };
}

/** Seed of one branch: deterministic in the query seed and the branch index, spread apart. */
export function branchSeed(querySeed: number, index: number): number {
  // The low word is mixed with the index; the high word is kept, so seeds above 2^32 stay apart.
  return fmix32(querySeed ^ Math.imul(index + 1, GOLDEN_PRIME_32)) + Math.floor(querySeed / 2 ** 32) * 2 ** 32;
}
