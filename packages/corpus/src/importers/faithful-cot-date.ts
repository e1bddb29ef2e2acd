/**
 * Faithful-CoT date understanding (veronica320/Faithful-COT, `output_dir/date/test/…/predictions.jsonl`
 * joined with `data/date/test.jsonl`): JSONL of `{id, question, answer: "#### MM/DD/YYYY",
 * completions: string[]}`, the completions sampled from code-davinci-002.
 */
import { z } from "zod";
import { CorpusFormatError, type CorpusIssue } from "../schema.js";
import { countTokens } from "../tokens.js";
import type { CorpusRecord } from "../types.js";
import { parseJsonLines, type ImportOptions } from "./common.js";

export const FAITHFUL_COT_DATE = "faithful-cot-date";

const lineSchema = z.object({
  id: z.union([z.number().int(), z.string().min(1)], { error: "must be an integer or a non-empty string" }),
  question: z.string().min(1, { error: "must not be empty" }),
  answer: z.string(),
  completions: z.array(z.string()).min(1, { error: "must have at least one completion" }),
});

const GOLD = /^####\s*(\d{2}\/\d{2}\/\d{4})\s*$/;

/**
 * One record per line: `problem` = question, `gold` = the date after "####", format "date", one
 * branch per completion (text as recorded). Tokens are counted with p50k_base, code-davinci-002's
 * own tokenizer. The source records no per-completion answer or label, so `answer` and `correct`
 * are left out (the README's rule, the last "answer is MM/DD/YYYY", is ttc's to apply).
 */
export function importFaithfulCotDate(input: string, options: ImportOptions = {}): CorpusRecord[] {
  const origin = options.origin ?? FAITHFUL_COT_DATE;
  const issues: CorpusIssue[] = [];
  const records: CorpusRecord[] = [];
  for (const { line, value } of parseJsonLines(input, origin, lineSchema)) {
    const gold = GOLD.exec(value.answer)?.[1];
    if (gold === undefined) {
      issues.push({ line, field: "answer", message: `expected "#### MM/DD/YYYY", got ${JSON.stringify(value.answer)}` });
      continue;
    }
    records.push({
      id: `${FAITHFUL_COT_DATE}/${value.id}`,
      problem: value.question,
      gold,
      format: "date",
      source: FAITHFUL_COT_DATE,
      tokenCounting: "p50k_base",
      branches: value.completions.map((text) => ({ text, tokens: countTokens(text, "p50k_base") })),
    });
  }
  if (issues.length > 0) throw new CorpusFormatError(origin, issues);
  return records;
}
