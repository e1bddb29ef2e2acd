/**
 * SolveResults and consensus updates written as OpenAI responses and stream chunks. Pure.
 *
 * One choice comes back: the consensus. Its text is the whole response of the branch that gave the
 * answer with the best verifier score (`ttc.content: "trace"`, the default) or the normalised answer
 * alone (`"answer"`). `usage` bills the whole query: every branch's prompt and generated tokens,
 * `wasted_tokens` those of pruned, cancelled and lost branches. A `ttc` object adds what OpenAI has no
 * field for: votes, support, stop reason, query id.
 */
import { stopReasonLabel, type ConsensusUpdate, type SolveResult, type Vote } from "@ttc/proto";
import type { OpenAiCall } from "./request.js";

/** What an OpenAI response says of the work besides the text. */
interface TtcSummary {
  query_id: string;
  answer: string;
  support: number;
  votes: { answer: string; count: number; weight: number }[];
  stop_reason: string;
  stop_detail: string;
  policy: { name: string; params: Record<string, number> };
  verifier: string;
  seed: number;
  leader_probability: number;
  branches_launched: number;
  branches_pruned: number;
  verifier_degraded: boolean;
  seconds: number;
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  /** Generated tokens of branches that did not vote (pruned, cancelled, failed, lost): part of completion_tokens. */
  wasted_tokens: number;
}

const votes = (vs: Vote[]) => vs.map((v) => ({ answer: v.answer, count: v.count, weight: v.weight }));

function ttcSummary(r: SolveResult): TtcSummary {
  return {
    query_id: r.queryId,
    answer: r.answer,
    support: r.support,
    votes: votes(r.votes),
    stop_reason: stopReasonLabel(r.stopReason),
    stop_detail: r.stopDetail,
    policy: { name: r.policy?.name ?? "", params: { ...r.policy?.params } },
    verifier: r.verifier,
    seed: r.seed,
    leader_probability: r.leaderProbability,
    branches_launched: r.compute?.branchesLaunched ?? 0,
    branches_pruned: r.compute?.branchesPruned ?? 0,
    verifier_degraded: r.verifierDegraded,
    seconds: r.timing?.totalSeconds ?? 0,
  };
}

function usageOf(r: SolveResult): Usage {
  const c = r.compute;
  const prompt = c?.promptTokens ?? 0;
  const generated = c?.generatedTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: generated,
    total_tokens: prompt + generated,
    prompt_tokens_details: { cached_tokens: c?.cachedPromptTokens ?? 0 },
    wasted_tokens: c?.wastedTokens ?? 0,
  };
}

/** `length` when the query ran out of tokens or time before its rule was met; `stop` otherwise. */
export function finishReason(r: SolveResult): "stop" | "length" {
  const reason = stopReasonLabel(r.stopReason);
  return reason === "token_budget" || reason === "tenant_budget" || reason === "deadline" ? "length" : "stop";
}

function contentOf(call: Pick<OpenAiCall, "content">, r: SolveResult): string {
  return call.content === "trace" && r.answerTrace !== "" ? r.answerTrace : r.answer;
}

/** The response of a call without `stream`. */
export function completionResponse(call: OpenAiCall, r: SolveResult, createdS: number): object {
  const head = { id: responseId(call, r.queryId), object: objectName(call, false), created: createdS, model: call.model };
  const content = contentOf(call, r);
  const choice =
    call.endpoint === "chat"
      ? { index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: finishReason(r) }
      : { index: 0, text: content, logprobs: null, finish_reason: finishReason(r) };
  return { ...head, choices: [choice], usage: usageOf(r), ttc: ttcSummary(r) };
}

/**
 * Stream chunks of one call, in order: `opening` (the role), `consensus` as it forms (no text; a
 * `ttc` object with the leader and votes), then `closing`: the text, the finish reason and, with
 * `include_usage`, a last chunk with no choices and the usage.
 */
export class ChunkWriter {
  readonly #head: { id: string; object: string; created: number; model: string };

  constructor(
    private readonly call: OpenAiCall,
    queryId: string,
    createdS: number,
  ) {
    this.#head = { id: responseId(call, queryId), object: objectName(call, true), created: createdS, model: call.model };
  }

  opening(): object {
    return this.#chunk(this.call.endpoint === "chat" ? { role: "assistant", content: "" } : "", null);
  }

  consensus(update: ConsensusUpdate): object {
    return {
      ...this.#chunk(this.call.endpoint === "chat" ? {} : "", null),
      ttc: {
        event: "consensus",
        leader: update.leader,
        votes: votes(update.votes),
        leader_probability: update.leaderProbability,
        branches_finished: update.branchesFinished,
        branches_in_flight: update.branchesInFlight,
      },
    };
  }

  closing(r: SolveResult): object[] {
    const content = contentOf(this.call, r);
    const chunks = [
      this.#chunk(this.call.endpoint === "chat" ? { content } : content, null),
      { ...this.#chunk(this.call.endpoint === "chat" ? {} : "", finishReason(r)), ttc: ttcSummary(r) },
    ];
    if (this.call.includeUsage) chunks.push({ ...this.#head, choices: [], usage: usageOf(r) });
    return chunks;
  }

  #chunk(delta: object | string, finish: string | null): object {
    const choice =
      typeof delta === "string"
        ? { index: 0, text: delta, logprobs: null, finish_reason: finish }
        : { index: 0, delta, logprobs: null, finish_reason: finish };
    // With include_usage every chunk but the last carries `usage: null`, as OpenAI sends them.
    return { ...this.#head, choices: [choice], ...(this.call.includeUsage ? { usage: null } : {}) };
  }
}

function responseId(call: Pick<OpenAiCall, "endpoint">, queryId: string): string {
  return `${call.endpoint === "chat" ? "chatcmpl" : "cmpl"}-${queryId}`;
}

function objectName(call: Pick<OpenAiCall, "endpoint">, chunk: boolean): string {
  if (call.endpoint === "completions") return "text_completion";
  return chunk ? "chat.completion.chunk" : "chat.completion";
}
