/**
 * The ttc corpus format: one JSON object per line (JSONL), one problem per line, each with the
 * recorded branches a real model wrote for it. Importers turn public trace formats into it; the
 * replay backend and the evaluator read it. Nothing in it is specific to one source.
 */

/** How an answer is read and compared (the reasoning core's names). */
export type CorpusAnswerFormat = "text" | "number" | "math" | "date" | "choice" | "game24";

/** How `tokens` was counted. */
export type TokenCounting =
  /** Recorded by the source (e.g. an API's usage). */
  | "recorded"
  /**
   * Counted with OpenAI's cl100k_base BPE (the GPT-4 tokenizer), here with the `js-tiktoken` package
   * (the same ranks and output as `gpt-tokenizer` and OpenAI's tiktoken).
   */
  | "cl100k_base"
  /**
   * Counted with OpenAI's p50k_base BPE, the tokenizer of code-davinci-002 and text-davinci-002/003
   * (`js-tiktoken`).
   */
  | "p50k_base"
  /** Estimated as ceil(characters / 4): an approximation, labelled as such wherever it is shown. */
  | "chars/4";

/** One recorded chain of thought. */
export interface CorpusBranch {
  /** The generated text exactly as recorded (no prompt). */
  text: string;
  /** Generated tokens of `text`, counted as the record's `tokenCounting` says. */
  tokens: number;
  /** The source's own extracted answer, when it recorded one (informational; ttc extracts its own). */
  answer?: string;
  /** The source's own correctness label, when it recorded one. */
  correct?: boolean;
  /** A recorded outcome score for the whole branch (e.g. a reward model's), larger is better. */
  score?: number;
  /** Recorded per-step scores, one per step of `text` in order (e.g. a value model's), larger is better. */
  stepScores?: number[];
}

/** One problem and its recorded branches. */
export interface CorpusRecord {
  /** Unique within the file, stable across imports. */
  id: string;
  /** The question as a prompt (what a worker would send to an engine). */
  problem: string;
  /** Optional system prompt used when the traces were recorded. */
  system?: string;
  /** The reference answer, raw (normalised by the answer format when compared). */
  gold: string;
  format: CorpusAnswerFormat;
  /** Importer name that produced the record (e.g. "qwen-math-maj"). */
  source: string;
  tokenCounting: TokenCounting;
  branches: CorpusBranch[];
  /** Free-form extra fields from the source (level, puzzle numbers…). */
  meta?: Record<string, string | number>;
}
