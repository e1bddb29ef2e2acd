/**
 * The prompts a template sends: an inline list, a file with one prompt per line, the problems of a
 * replay corpus (so `replay` workers recognise them: they look a problem up by its trimmed text), or
 * generated text. Queries take them in turn.
 */
import { readFile } from "node:fs/promises";
import { readCorpus } from "@ttc/corpus";
import type { AnswerFormatLabel } from "@ttc/proto";
import type { PromptSource } from "./scenario.js";

/** One prompt, with what a replay corpus records alongside it. */
export interface Prompt {
  text: string;
  systemPrompt?: string;
  answerFormat?: AnswerFormatLabel;
}

/** Prompts taken in turn: `at(n)` is the n-th prompt this template sends (wrapping around a finite list). */
export interface PromptList {
  /** How many distinct prompts there are (Infinity for generated ones). */
  readonly size: number;
  at(n: number): Prompt;
}

/** Reads the prompts of `source`. @throws Error naming the file when it cannot be read or holds no prompt. */
export async function loadPrompts(source: PromptSource): Promise<PromptList> {
  if (Array.isArray(source)) return cycle(source.map((text) => ({ text })));
  if ("template" in source) {
    const template = source.template;
    return { size: Infinity, at: (n) => ({ text: template.replaceAll("{i}", String(n)) }) };
  }
  if ("file" in source) {
    const lines = (await readFile(source.file, "utf8")).split("\n").map((l) => l.trim());
    const prompts = lines.filter((l) => l !== "").map((text) => ({ text }));
    if (prompts.length === 0) throw new Error(`prompts.file ${source.file}: no prompts (one per non-empty line)`);
    return cycle(prompts);
  }
  const records = await readCorpus(source.replay);
  if (records.length === 0) throw new Error(`prompts.replay ${source.replay}: the corpus has no problems`);
  return cycle(
    records.map((r) => ({ text: r.problem, answerFormat: r.format, ...(r.system !== undefined ? { systemPrompt: r.system } : {}) })),
  );
}

function cycle(prompts: readonly Prompt[]): PromptList {
  return { size: prompts.length, at: (n) => prompts[n % prompts.length]! };
}
