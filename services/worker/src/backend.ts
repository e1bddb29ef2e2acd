/**
 * The seam between a worker and the engine that generates text. The `sim` backend implements it now;
 * `openai` (vLLM / SGLang / llama.cpp server), `llama` (in-process GGUF) and `replay` plug in here.
 */

export interface GenerationRequest {
  prompt: string;
  systemPrompt: string;
  model: string;
  maxTokens: number;
  seed: number;
  answerFormat: string;
  /** The query's seed and this branch's index (the replay backend picks the recorded branch from them). */
  querySeed: number;
  branchIndex: number;
  /** Aborted on cancel, prune, deadline or shutdown: the backend must stop generating at once. */
  signal: AbortSignal;
}

export type GenerationEvent =
  /** Prompt size, as soon as the backend knows it. */
  | { type: "prompt"; promptTokens: number }
  /** Scores recorded with a replayed trace, passed to the scheduler for the `recorded` verifier. */
  | { type: "recorded"; score?: number; stepScores: number[] }
  /** Newly generated text. `stepEnd` marks the end of a reasoning step (a chunk boundary). */
  | { type: "tokens"; text: string; tokens: number; stepEnd: boolean; logprobs?: number[] }
  /** Generation ended on its own. */
  | { type: "end"; finishReason: "stop" | "length"; promptTokens: number };

export interface Backend {
  readonly name: string;
  /** True when the output is synthetic (no model behind it). */
  readonly synthetic: boolean;
  /**
   * Generates one branch. Ends with an `end` event, or returns early without one when `signal`
   * aborts. Throws on engine failure.
   */
  generate(request: GenerationRequest): AsyncIterable<GenerationEvent>;
  close(): Promise<void>;
}
