import type { TraceChunk } from "@ttc/proto";

/** What a chunk of one branch may say, given the query it belongs to. */
export interface ChunkBounds {
  /** The branch's `max_tokens`: no attempt generates more. */
  maxTokens: number;
  /** Seconds since the query started: no engine time or cancel-to-stop time of its branches is longer. */
  elapsedSeconds: number;
}

/** Prompts longer than this many tokens are not served by any engine ttc drives. */
export const maxPromptTokens = 1 << 24;
/** Generous characters per token: a trace longer than this per token of its budget is not a trace. */
const maxCharsPerToken = 64;
/** Recorded step scores a replayed branch may carry. */
const maxRecordedSteps = 65_536;
/**
 * Slack on time bounds: the worker measures its own durations, which end before the chunk reaches
 * the scheduler, so they cannot exceed the scheduler's elapsed time; the slack only absorbs rounding.
 */
const slackSeconds = 1;

/**
 * Why a chunk's numbers cannot be true, or null when they can. Every numeric field that reaches the
 * bill, the policy or a stream event is checked: counts against the branch's budget, times against
 * the query's age, scores and confidence finite. `traceChars` is the length of the branch's trace so far.
 */
export function chunkOutOfBounds(chunk: TraceChunk, traceChars: number, b: ChunkBounds): string | null {
  if (chunk.tokens > b.maxTokens) return `tokens ${chunk.tokens} over the branch's max_tokens ${b.maxTokens}`;
  if (chunk.tokensAfterCancel > chunk.tokens) return `tokens_after_cancel ${chunk.tokensAfterCancel} over its tokens ${chunk.tokens}`;
  if (chunk.promptTokens > maxPromptTokens) return `prompt_tokens ${chunk.promptTokens} over ${maxPromptTokens}`;
  if (chunk.cachedPromptTokens > maxPromptTokens) return `cached_prompt_tokens ${chunk.cachedPromptTokens} over ${maxPromptTokens}`;
  const longest = b.elapsedSeconds + slackSeconds;
  const time =
    outsideAge("engine_seconds", chunk.engineSeconds, longest) ?? outsideAge("cancel_to_stop_seconds", chunk.cancelToStopSeconds, longest);
  if (time) return time;
  if (traceChars + chunk.text.length > maxCharsPerToken * b.maxTokens + 4096)
    return `a trace of ${traceChars + chunk.text.length} characters for at most ${b.maxTokens} tokens`;
  if (chunk.recordedScore !== undefined && !Number.isFinite(chunk.recordedScore)) return `recorded_score ${chunk.recordedScore}`;
  if (chunk.recordedStepScores.length > maxRecordedSteps) return `${chunk.recordedStepScores.length} recorded step scores`;
  if (chunk.recordedStepScores.some((s) => !Number.isFinite(s))) return "a recorded step score that is not a finite number";
  const c = chunk.confidence;
  if (c && (c.tokens > b.maxTokens || ![c.meanLogprob, c.lowestGroupConfidence, c.tailGroupConfidence].every(Number.isFinite)))
    return "confidence statistics out of range";
  return null;
}

/** Why a duration from the worker cannot be true (negative, not a number, or older than the query), or null. */
function outsideAge(name: string, seconds: number, longest: number): string | null {
  return seconds >= 0 && seconds <= longest ? null : `${name} ${seconds} outside 0..${longest.toFixed(3)} (the query's age)`;
}
