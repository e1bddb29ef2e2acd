/**
 * Tree-of-Thought Game of 24, chain-of-thought sampling (princeton-nlp/tree-of-thought-llm,
 * `logs/game24/gpt-4_0.7_naive_cot_sample_100_start900_end1000.json`): a JSON array of
 * `{idx, ys[n], infos[n].r, usage_so_far}`, GPT-4 samples; `idx` is the row of the puzzles CSV.
 */
import { z } from "zod";
import { CorpusFormatError, type CorpusIssue } from "../schema.js";
import { countTokens } from "../tokens.js";
import type { CorpusRecord } from "../types.js";
import { parseJsonArray, type ImportOptions } from "./common.js";
import { game24Problem, parseGame24Puzzles, puzzleNumbers, puzzlesNeeded } from "./game24-puzzles.js";

export const TOT_GAME24 = "tot-game24";

/** Options of the Game of 24 importers. */
export interface Game24ImportOptions extends ImportOptions {
  /** The text of the puzzles CSV (`24.csv`); required. */
  puzzlesCsv?: string;
  /** Name of the puzzles CSV in error messages. */
  puzzlesOrigin?: string;
}

const infoSchema = z.object({ r: z.number() });

const elementSchema = z.object({
  idx: z.number().int().min(0),
  ys: z.array(z.string()).min(1, { error: "must have at least one trace" }),
  infos: z.array(infoSchema),
});

/** The puzzles of the options, or the error saying they are needed. */
export function requirePuzzles(importer: string, options: Game24ImportOptions): string[] {
  if (options.puzzlesCsv === undefined) throw puzzlesNeeded(importer);
  return parseGame24Puzzles(options.puzzlesCsv, options.puzzlesOrigin);
}

/**
 * One record per log element: `problem` = `game24Problem(numbers)`, `gold` = "24", format "game24",
 * `meta` = { numbers, puzzleIndex: idx }; one branch per trace with `correct` = (infos[i].r === 1).
 * Tokens are counted with cl100k_base, GPT-4's tokenizer (on the first puzzle of the log they sum
 * exactly to the recorded `usage_so_far.completion_tokens`).
 */
export function importTotGame24(input: string, options: Game24ImportOptions = {}): CorpusRecord[] {
  const puzzles = requirePuzzles(TOT_GAME24, options);
  const origin = options.origin ?? TOT_GAME24;
  const issues: CorpusIssue[] = [];
  const records: CorpusRecord[] = [];
  for (const { element, value } of parseJsonArray(input, origin, elementSchema)) {
    if (value.infos.length !== value.ys.length) {
      issues.push({ element, field: "infos", message: `has ${value.infos.length} entries but ys has ${value.ys.length}` });
      continue;
    }
    const numbers = puzzleNumbers(puzzles, value.idx, origin, element);
    records.push({
      id: `${TOT_GAME24}/${value.idx}`,
      problem: game24Problem(numbers),
      gold: "24",
      format: "game24",
      source: TOT_GAME24,
      tokenCounting: "cl100k_base",
      meta: { numbers, puzzleIndex: value.idx },
      branches: value.ys.map((text, i) => ({
        text,
        tokens: countTokens(text, "cl100k_base"),
        correct: value.infos[i]?.r === 1,
      })),
    });
  }
  if (issues.length > 0) throw new CorpusFormatError(origin, issues);
  return records;
}
