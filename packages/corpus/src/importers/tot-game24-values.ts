/**
 * Tree-of-Thought Game of 24, propose + value breadth-first search (princeton-nlp/tree-of-thought-llm,
 * `logs/game24/gpt-4_0.7_propose1_value3_greedy5_start900_end1000.json`): a JSON array of
 * `{steps: [{step, x, ys, new_ys, values, select_new_ys}], idx, ys, infos, usage_so_far}`.
 * At each step GPT-4 proposed next lines for each kept partial solution (`ys`), giving the candidates
 * `new_ys`; each candidate was valued 3 times ("sure" 20, "likely" 1, "impossible" 0.001, summed:
 * `values`), and the best 5 were kept (`select_new_ys`, the next step's `ys`). The final `ys` are the
 * last step's kept candidates and `infos[i].r` says whether `ys[i]` is a correct solution.
 */
import { splitSteps } from "@ttc/policy";
import { z } from "zod";
import { CorpusFormatError, type CorpusIssue } from "../schema.js";
import { countTokens } from "../tokens.js";
import type { CorpusBranch, CorpusRecord } from "../types.js";
import { parseJsonArray } from "./common.js";
import { game24Problem, puzzleNumbers } from "./game24-puzzles.js";
import { requirePuzzles, type Game24ImportOptions } from "./tot-game24.js";

export const TOT_GAME24_VALUES = "tot-game24-values";

/** The largest value sum: 3 value samples, each "sure" = 20. Values are divided by it into 0..1. */
export const GAME24_VALUE_SCALE = 60;

const stepSchema = z.object({
  step: z.number().int().min(0),
  x: z.string(),
  ys: z.array(z.string()),
  new_ys: z.array(z.string()),
  values: z.array(z.number()),
  select_new_ys: z.array(z.string()),
});

const elementSchema = z.object({
  steps: z.array(stepSchema).min(1, { error: "must have at least one search step" }),
  idx: z.number().int().min(0),
  ys: z.array(z.string()),
  infos: z.array(z.object({ r: z.number() })),
});

/** The path's lines, each with its "\n"; the prefix after step k is the first k + 1 of them joined. */
function pathLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * The score of each `splitSteps` step of `text`: the value of the deepest search node that ends
 * within it. A search step normally adds one line, so node k scores step k; but when the search's
 * last extension is only whitespace (an empty proposal), `splitSteps` merges it into the step before
 * and that step gets the deeper node's value (the search's value of the whole path). A message when
 * a step has no node (a search step that added several lines).
 */
function scoresPerStep(text: string, nodes: readonly { end: number; value: number }[]): number[] | string {
  const scores: number[] = [];
  let start = 0;
  for (const [j, step] of splitSteps(text).entries()) {
    const end = start + step.length;
    const within = nodes.filter((n) => n.end > start && n.end <= end);
    const deepest = within[within.length - 1];
    if (deepest === undefined) return `step ${j} of the path (${JSON.stringify(step)}) ends no search step`;
    scores.push(deepest.value);
    start = end;
  }
  return scores;
}

/**
 * One record per puzzle; its branches are the distinct root-to-leaf paths of the search tree: the
 * distinct candidates of the LAST step's `new_ys`, in their order there. That is every leaf the
 * search reached, the 5 it kept (`select_new_ys`, whose correctness the log records) and the ones
 * its values rejected, so a pruning policy sees both kinds; taking only `select_new_ys` would keep
 * just the winners of the search's own pruning.
 *
 * Each branch's text is the path (one line per step: the operations, then "Answer: …" when the
 * search got to 24) and `stepScores[k]` is the value the search gave its prefix after step k:
 * the prefix is found in `steps[k].new_ys` (its first occurrence: ToT values a candidate repeated
 * within a step 0 after the first) and its value divided by 60, so 1 = "sure" three times, 0.05 =
 * "likely" three times, 0.00005 = "impossible" three times, 0 = not valued (e.g. a last step without
 * an answer). See `scoresPerStep` for the few paths whose last extension is empty. `correct` = (infos[j].r === 1) when the leaf is the final `ys[j]`, else left out
 * (the log does not say). No `answer`. Tokens are the path's cl100k_base count (GPT-4's tokenizer):
 * the tokens of the path's text, not what the search spent proposing and valuing it.
 *
 * Checked: `steps[k].x` is the puzzle's numbers from the CSV, `values` has one value per candidate,
 * every prefix is found, so an `idx` that maps to the wrong row or a truncated log is refused.
 */
export function importTotGame24Values(input: string, options: Game24ImportOptions = {}): CorpusRecord[] {
  const puzzles = requirePuzzles(TOT_GAME24_VALUES, options);
  const origin = options.origin ?? TOT_GAME24_VALUES;
  const issues: CorpusIssue[] = [];
  const records: CorpusRecord[] = [];
  for (const { element, value } of parseJsonArray(input, origin, elementSchema)) {
    const numbers = puzzleNumbers(puzzles, value.idx, origin, element);
    const before = issues.length;
    if (value.infos.length !== value.ys.length) {
      issues.push({ element, field: "infos", message: `has ${value.infos.length} entries but ys has ${value.ys.length}` });
    }
    value.steps.forEach((s, k) => {
      if (s.values.length !== s.new_ys.length) {
        issues.push({
          element,
          field: `steps[${k}].values`,
          message: `has ${s.values.length} values for ${s.new_ys.length} candidates in new_ys`,
        });
      }
      if (s.x.trim().split(/\s+/).join(" ") !== numbers) {
        issues.push({
          element,
          field: `steps[${k}].x`,
          message: `is ${JSON.stringify(s.x)} but puzzle row ${value.idx} of the CSV is "${numbers}"`,
        });
      }
    });
    if (issues.length > before) continue;
    const lastStep = value.steps[value.steps.length - 1];
    const leaves = [...new Set(lastStep?.new_ys ?? [])];
    const branches: CorpusBranch[] = [];
    for (const [leafIndex, text] of leaves.entries()) {
      const lines = pathLines(text);
      if (lines.length !== value.steps.length) {
        issues.push({
          element,
          field: `steps[${value.steps.length - 1}].new_ys`,
          message: `candidate ${leafIndex} has ${lines.length} lines, expected one per step (${value.steps.length}): ${JSON.stringify(text)}`,
        });
        continue;
      }
      // The value of each search node on the path: node k is the prefix after search step k.
      const nodes: { end: number; value: number }[] = [];
      let prefix = "";
      for (let k = 0; k < lines.length; k++) {
        prefix += lines[k];
        const step = value.steps[k];
        const at = step?.new_ys.indexOf(prefix) ?? -1;
        const v = step?.values[at];
        if (at < 0 || v === undefined) {
          issues.push({
            element,
            field: `steps[${k}].new_ys`,
            message: `has no candidate ${JSON.stringify(prefix)} (a prefix of a last-step candidate)`,
          });
          break;
        }
        nodes.push({ end: prefix.length, value: v / GAME24_VALUE_SCALE });
      }
      if (nodes.length !== lines.length) continue;
      const stepScores = scoresPerStep(text, nodes);
      if (typeof stepScores === "string") {
        issues.push({ element, field: `steps[${value.steps.length - 1}].new_ys`, message: `candidate ${leafIndex}: ${stepScores}` });
        continue;
      }
      const final = value.ys.indexOf(text);
      const correct = final < 0 ? undefined : value.infos[final]?.r === 1;
      branches.push({
        text,
        tokens: countTokens(text, "cl100k_base"),
        ...(correct === undefined ? {} : { correct }),
        stepScores,
      });
    }
    if (issues.length > before) continue;
    records.push({
      id: `${TOT_GAME24_VALUES}/${value.idx}`,
      problem: game24Problem(numbers),
      gold: "24",
      format: "game24",
      source: TOT_GAME24_VALUES,
      tokenCounting: "cl100k_base",
      meta: { numbers, puzzleIndex: value.idx },
      branches,
    });
  }
  if (issues.length > 0) throw new CorpusFormatError(origin, issues);
  return records;
}
