/** The `SolveRequest` a template sends for one prompt: the same fields as `ttc solve`'s flags. */
import type { SolveRequestInit } from "@ttc/client";
import { answerFormatFromLabel, executionModeFromLabel } from "@ttc/proto";
import type { Prompt } from "./prompts.js";
import type { TemplateSpec } from "./scenario.js";

/**
 * The request for `prompt` under `template`, seeded `seed`. What the template leaves out is left to the
 * scheduler's defaults; a replay corpus's system prompt and answer format apply unless the template
 * sets its own. The tenant is not sent: the API has no field for it yet.
 */
export function requestFor(template: TemplateSpec, prompt: Prompt, seed: number): SolveRequestInit {
  const format = template.answerFormat ?? prompt.answerFormat;
  return {
    prompt: prompt.text,
    systemPrompt: template.systemPrompt ?? prompt.systemPrompt,
    model: template.model,
    maxBranches: template.maxBranches,
    parallelism: template.parallelism,
    maxTokensPerBranch: template.maxTokensPerBranch,
    tokenBudget: template.tokenBudget,
    policy: template.policy,
    verifier: template.verifier,
    answerFormat: format === undefined ? undefined : answerFormatFromLabel(format),
    mode: template.mode === undefined ? undefined : executionModeFromLabel(template.mode),
    seed,
  };
}
