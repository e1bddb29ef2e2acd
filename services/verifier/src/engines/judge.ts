/**
 * `judge`: an LLM on any OpenAI-compatible server (vLLM, SGLang, llama.cpp's server, OpenAI) asked
 * whether a finished trace is correct.
 *
 * Request (non-streaming, greedy):
 *
 *     POST {TTC_JUDGE_URL}/v1/chat/completions        (or {TTC_JUDGE_URL}/chat/completions when the URL ends in /v1)
 *     Authorization: Bearer {TTC_JUDGE_API_KEY}       (only when set)
 *     {"model": "…", "messages": [{"role": "system", "content": JUDGE_SYSTEM_PROMPT},
 *                                 {"role": "user", "content": judgePrompt(question, trace)}],
 *      "temperature": 0, "max_tokens": 1024, "stream": false}
 *
 * Response: the standard chat completion; the verdict is read from `choices[0].message.content`:
 *
 *     {"id": "chatcmpl-…", "object": "chat.completion", "model": "…",
 *      "choices": [{"index": 0, "message": {"role": "assistant", "content": "…\nVERDICT: CORRECT\nCONFIDENCE: 0.9"},
 *                   "finish_reason": "stop"}], "usage": {…}}
 *
 * The judgement: score = CONFIDENCE for CORRECT, 1 − CONFIDENCE for INCORRECT (CONFIDENCE defaults
 * to 1, so 1 and 0); `verified` is false (a model's opinion is not an exact check); `reject` only for
 * INCORRECT and only when `rejectIncorrect` is set. A reply without a readable verdict is an error
 * (the trace stays unscored), never a guess. Only finished traces are judged (`partial: false`), each
 * read whole (no continuation: one call per branch).
 */
import { wholeTrace, type VerifyInput, type VerifyOutput } from "@ttc/policy";
import { EngineError, ROOT_CONTEXT, traceCarrier, type Context } from "@ttc/common";
import { joinUrl, postJson, snippet, unreadableAnswer, type AsyncTraceVerifier } from "../async-verifier.js";

/** The judge's system message. */
export const JUDGE_SYSTEM_PROMPT = "You are a careful, strict grader of solutions to math and reasoning problems.";

/**
 * The judge's user message; `{question}` and `{solution}` are replaced by the query's prompt and the
 * finished trace. It asks for a justification first (the judge reasons before deciding) and a fixed
 * verdict line last, with an optional confidence line, so the reply can be parsed without guessing.
 */
export const JUDGE_PROMPT_TEMPLATE = `Below are a problem and a candidate solution. Check the solution step by step: are its reasoning and its final answer correct?

Problem:
"""
{question}
"""

Candidate solution:
"""
{solution}
"""

First explain briefly what you checked. Then end your reply with exactly these two lines:
VERDICT: CORRECT   (or VERDICT: INCORRECT if any step or the final answer is wrong)
CONFIDENCE: a number from 0 to 1, how sure you are of your verdict`;

/** The judge's user message for one trace. */
export function judgePrompt(question: string, solution: string): string {
  return JUDGE_PROMPT_TEMPLATE.replace("{question}", () => question.trim()).replace("{solution}", () => solution.trim());
}

/** A parsed verdict. */
export interface Verdict {
  verdict: "CORRECT" | "INCORRECT";
  /** 0..1 when the reply gave one. */
  confidence?: number;
}

/**
 * The verdict in a judge's reply: the last `VERDICT: CORRECT|INCORRECT` (any case, markdown such as
 * `**Verdict:** Incorrect` tolerated), and the last `CONFIDENCE: x` (0..1, or a percentage) when
 * there is one. null when there is no verdict line.
 */
export function parseVerdict(text: string): Verdict | null {
  const verdicts = [...text.matchAll(/\bverdict\b[\s*_`'":=-]*\b(incorrect|correct)\b/gi)];
  const last = verdicts.at(-1);
  if (!last) return null;
  const verdict = last[1]!.toUpperCase() as Verdict["verdict"];
  const confidences = [...text.matchAll(/\bconfidence\b[\s*_`'":=-]*(\d+(?:\.\d+)?|\.\d+)\s*(%?)/gi)];
  const c = confidences.at(-1);
  if (!c) return { verdict };
  let value = Number(c[1]);
  if (c[2] === "%") value /= 100;
  return value >= 0 && value <= 1 ? { verdict, confidence: value } : { verdict };
}

/** The judgement of a verdict (see the module comment). */
export function judgement(v: Verdict, rejectIncorrect: boolean): VerifyOutput {
  const confidence = v.confidence ?? 1;
  const score = v.verdict === "CORRECT" ? confidence : 1 - confidence;
  const reject = rejectIncorrect && v.verdict === "INCORRECT";
  const reason = `judge: ${v.verdict}${v.confidence === undefined ? "" : ` (confidence ${v.confidence})`}`;
  return { score, stepScores: [], reject, reason, verified: false };
}

/** Settings of {@link JudgeVerifier}. */
export interface JudgeOptions {
  /** Base URL of the OpenAI-compatible server, e.g. `http://127.0.0.1:8000` or `https://api.openai.com/v1`. */
  url: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
  /** Token limit of the judge's reply. */
  maxTokens: number;
  /** INCORRECT rejects the branch (it may then be pruned or dropped from the vote). */
  rejectIncorrect: boolean;
}

/** The `judge` verifier. */
export class JudgeVerifier implements AsyncTraceVerifier {
  readonly name = "judge";
  readonly partial = false;
  private readonly endpoint: string;

  constructor(private readonly o: JudgeOptions) {
    this.endpoint = /\/v1\/*$/.test(o.url) ? joinUrl(o.url, "/chat/completions") : joinUrl(o.url, "/v1/chat/completions");
  }

  async verify(input: VerifyInput, trace: Context = ROOT_CONTEXT): Promise<VerifyOutput> {
    if (!input.final)
      throw new EngineError("judge: only finished traces are judged (partial: false); this one is partial", { code: "INVALID_ARGUMENT" });
    const body = {
      model: this.o.model,
      messages: [
        { role: "system", content: JUDGE_SYSTEM_PROMPT },
        { role: "user", content: judgePrompt(input.prompt ?? "", wholeTrace(input, this.name)) },
      ],
      temperature: 0,
      max_tokens: this.o.maxTokens,
      stream: false,
    };
    const headers = { ...traceCarrier(trace), ...(this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {}) };
    const json = await postJson(this.endpoint, body, { timeoutMs: this.o.timeoutMs, engine: "judge", headers });
    const choice = (json as { choices?: { message?: { content?: unknown }; finish_reason?: unknown }[] } | null)?.choices?.[0];
    const content = choice?.message?.content;
    if (typeof content !== "string")
      throw unreadableAnswer(`judge: POST ${this.endpoint} answered without choices[0].message.content: ${snippet(JSON.stringify(json))}`);
    const verdict = parseVerdict(content);
    if (!verdict) {
      const cut = choice?.finish_reason === "length" ? ` (the reply hit max_tokens ${this.o.maxTokens})` : "";
      throw unreadableAnswer(`judge: no "VERDICT: CORRECT|INCORRECT" line in the reply${cut}: ${snippet(content.slice(-400))}`);
    }
    return judgement(verdict, this.o.rejectIncorrect);
  }
}
