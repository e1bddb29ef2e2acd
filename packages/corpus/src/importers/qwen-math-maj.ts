/**
 * Qwen2.5-Math majority-vote / reward-model example (QwenLM/Qwen2.5-Math,
 * `evaluation/data/eval_rm_maj_example/math_cot_100.jsonl`, fields reduced): JSONL of `{idx,
 * question, gt, level, system, response[n], pred[n], score[n], pred_score[n][1]}`.
 */
import { z } from "zod";
import { CorpusFormatError, type CorpusIssue } from "../schema.js";
import { countTokens } from "../tokens.js";
import type { CorpusBranch, CorpusRecord } from "../types.js";
import { parseJsonLines, type ImportOptions } from "./common.js";

export const QWEN_MATH_MAJ = "qwen-math-maj";

const lineSchema = z.object({
  idx: z.union([z.number().int(), z.string().min(1)], { error: "must be an integer or a non-empty string" }),
  question: z.string().min(1, { error: "must not be empty" }),
  gt: z.union([z.string().min(1), z.number()], { error: "must be a non-empty string or a number" }),
  level: z.union([z.string(), z.number()], { error: "must be a string or a number" }).optional(),
  system: z.string().optional(),
  response: z.array(z.string()).min(1, { error: "must have at least one response" }),
  pred: z.array(z.string()),
  score: z.array(z.boolean()),
  pred_score: z.array(z.array(z.number()).min(1, { error: "must hold the reward model's score" })),
});

/**
 * One record per line: `problem` = question, `system` = system, `gold` = gt, format "math",
 * `meta.level` = level; one branch per response with `answer` = pred[i] (left out when empty),
 * `correct` = score[i] and `score` = pred_score[i][0] (the outcome reward model's score).
 *
 * Tokens are counted with cl100k_base, a proxy: Qwen2.5's own BPE is not bundled by js-tiktoken.
 * cl100k_base is the base Qwen's vocabulary was grown from and lands within about 6% of it on these
 * traces (under: Qwen splits every digit), where chars/4 is about 27% under.
 */
export function importQwenMathMaj(input: string, options: ImportOptions = {}): CorpusRecord[] {
  const origin = options.origin ?? QWEN_MATH_MAJ;
  const issues: CorpusIssue[] = [];
  const records: CorpusRecord[] = [];
  for (const { line, value } of parseJsonLines(input, origin, lineSchema)) {
    const n = value.response.length;
    let ok = true;
    for (const field of ["pred", "score", "pred_score"] as const) {
      if (value[field].length !== n) {
        issues.push({ line, field, message: `has ${value[field].length} entries but response has ${n}` });
        ok = false;
      }
    }
    if (!ok) continue;
    const branches = value.response.map((text, i): CorpusBranch => {
      const answer = value.pred[i];
      return {
        text,
        tokens: countTokens(text, "cl100k_base"),
        ...(answer === undefined || answer === "" ? {} : { answer }),
        correct: value.score[i],
        score: value.pred_score[i]?.[0],
      };
    });
    records.push({
      id: `${QWEN_MATH_MAJ}/${value.idx}`,
      problem: value.question,
      ...(value.system === undefined ? {} : { system: value.system }),
      gold: String(value.gt),
      format: "math",
      source: QWEN_MATH_MAJ,
      tokenCounting: "cl100k_base",
      branches,
      ...(value.level === undefined ? {} : { meta: { level: value.level } }),
    });
  }
  if (issues.length > 0) throw new CorpusFormatError(origin, issues);
  return records;
}
