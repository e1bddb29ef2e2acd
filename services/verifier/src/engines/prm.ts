/**
 * `prm`: a process reward model served by vLLM's pooling runner, scoring every reasoning step.
 *
 * The model is Qwen2.5-Math-PRM-7B or one with the same interface (`Qwen2ForProcessRewardModel`),
 * served e.g. with `vllm serve Qwen/Qwen2.5-Math-PRM-7B --task reward` (newer vLLM: `--runner
 * pooling`). vLLM pools it with its STEP pooler: one output row per occurrence of the step-tag token
 * `<extra_0>` (token id 151651) in the input.
 *
 * The input, as on the model card: the Qwen chat template, rendered here (not by the server), with
 * the card's system prompt, the question as the user turn, and the steps as the assistant turn, each
 * step followed by `<extra_0>`:
 *
 *     <|im_start|>system\nPlease reason step by step, and put your final answer within \boxed{}.<|im_end|>\n
 *     <|im_start|>user\n{question}<|im_end|>\n
 *     <|im_start|>assistant\n{step 1}<extra_0>{step 2}<extra_0>…{step n}<extra_0><|im_end|>\n
 *
 * (`apply_chat_template(messages, tokenize=False, add_generation_prompt=False)` of the card's example,
 * without the line breaks shown above between turns other than the template's own `\n`.)
 *
 * Request (vLLM's pooling API, completion-style input; a list of inputs is one batch):
 *
 *     POST {TTC_PRM_URL}/pooling
 *     {"model": "Qwen/Qwen2.5-Math-PRM-7B", "input": "<|im_start|>system\n…<extra_0><|im_end|>\n"}
 *     {"model": "Qwen/Qwen2.5-Math-PRM-7B", "input": ["<input 1>", "<input 2>", …]}
 *
 * Response (one `data` entry per input, in input order and carrying its `index`; per input one row
 * per `<extra_0>`, each row the two classes [negative, positive]):
 *
 *     {"id": "pool-…", "object": "list", "created": 1700000000, "model": "Qwen/Qwen2.5-Math-PRM-7B",
 *      "data": [{"index": 0, "object": "pooling", "data": [[0.02, 0.98], [0.81, 0.19], …]}],
 *      "usage": {"prompt_tokens": 412, "total_tokens": 412, "completion_tokens": 0}}
 *
 * A step's score is the probability of the positive class at its `<extra_0>`, as in the card's
 * `make_step_rewards` (softmax over the two logits, then class 1). vLLM applies that softmax itself
 * unless the pooler's activation is turned off; a row that is not already a probability pair (both in
 * 0..1, summing to 1) is taken as logits and softmaxed here, so either setting works.
 *
 * Steps are `splitSteps` of the trace (paragraphs when the trace has blank-line paragraphs, else
 * lines: the same cut as the corpus's recorded step scores), trimmed. On a partial trace the last
 * step counts only once its line has ended (it may still be growing); a partial trace with no whole
 * step is not sent (score 1, "no steps scored yet", as `stepScoringVerifier` says).
 */
import { completedSteps, stepScoringVerifier, wholeTrace, type StepAggregation, type VerifyInput, type VerifyOutput } from "@ttc/policy";
import { EngineError, ROOT_CONTEXT, SpanStatusCode, startBatchSpan, traceCarrier, withSpan, type Context } from "@ttc/common";
import { joinUrl, postJson, snippet, unreadableAnswer, type AsyncTraceVerifier } from "../async-verifier.js";

/** The step separator Qwen2.5-Math-PRM was trained with (vLLM's default step tag for it, id 151651). */
export const PRM_STEP_TAG = "<extra_0>";

/** The system prompt of the Qwen2.5-Math-PRM model card (and of Qwen2.5-Math's chain-of-thought prompt). */
export const PRM_SYSTEM_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}.";

/** Settings of {@link PrmVerifier}. */
export interface PrmOptions {
  /** Base URL of the vLLM server, e.g. `http://127.0.0.1:8001` (the request goes to `/pooling`). */
  url: string;
  /** The served model name. */
  model: string;
  /** How step scores become the trace's score. */
  aggregation: StepAggregation;
  /** Per HTTP request. */
  timeoutMs: number;
  /** Scoring requests arriving within this window after the first are sent as one request. */
  batchWindowMs: number;
  /** At most this many inputs per request (a full batch is sent at once). */
  maxBatch: number;
  /** Overrides {@link PRM_SYSTEM_PROMPT}. */
  systemPrompt?: string;
}

/** The steps of `trace` the PRM scores: whole steps, trimmed; a partial trace's unfinished last line is left out. */
export function prmSteps(trace: string, final: boolean): string[] {
  return completedSteps(trace, final)
    .map((s) => s.split(PRM_STEP_TAG).join("").trim())
    .filter((s) => s !== "");
}

/** The PRM's input text: the Qwen chat template with the steps joined by {@link PRM_STEP_TAG} (see the module comment). */
export function prmInput(question: string, steps: readonly string[], systemPrompt = PRM_SYSTEM_PROMPT): string {
  const clean = (s: string) => s.split(PRM_STEP_TAG).join("");
  const assistant = steps.map((s) => `${clean(s)}${PRM_STEP_TAG}`).join("");
  return (
    `<|im_start|>system\n${clean(systemPrompt)}<|im_end|>\n` +
    `<|im_start|>user\n${clean(question)}<|im_end|>\n` +
    `<|im_start|>assistant\n${assistant}<|im_end|>\n`
  );
}

/**
 * Per-step scores from one input's pooled rows: P(positive) of each `[negative, positive]` row
 * (softmaxed first when the row is logits). Throws an {@link unreadableAnswer} when the rows are not
 * such pairs or their number is not `steps`.
 */
export function stepScoresFromRows(rows: unknown, steps: number): number[] {
  if (!Array.isArray(rows))
    throw unreadableAnswer(`prm: expected a list of [negative, positive] rows, got ${snippet(JSON.stringify(rows) ?? String(rows))}`);
  if (rows.length !== steps) {
    throw unreadableAnswer(
      `prm: ${rows.length} step rows for ${steps} steps (is the model a step-tag PRM whose step token is ${PRM_STEP_TAG}?)`,
    );
  }
  return rows.map((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== 2 || !row.every((x) => typeof x === "number" && Number.isFinite(x))) {
      throw unreadableAnswer(
        `prm: step ${i + 1}: expected [negative, positive] numbers, got ${snippet(JSON.stringify(row) ?? String(row))}`,
      );
    }
    const [neg, pos] = row as [number, number];
    const isProbabilities = neg >= 0 && neg <= 1 && pos >= 0 && pos <= 1 && Math.abs(neg + pos - 1) < 1e-3;
    return isProbabilities ? pos : 1 / (1 + Math.exp(neg - pos));
  });
}

interface Pending {
  input: string;
  /** The verify call's span context. */
  trace: Context;
  resolve(rows: unknown): void;
  reject(err: unknown): void;
}

/** The `prm` verifier: scores steps with a PRM over vLLM's pooling API, batching concurrent calls. */
export class PrmVerifier implements AsyncTraceVerifier {
  readonly name = "prm";
  readonly partial = true;
  private readonly endpoint: string;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** HTTP requests sent and the inputs they carried, for tests and logs. */
  readonly stats = { requests: 0, inputs: 0 };

  constructor(private readonly o: PrmOptions) {
    this.endpoint = joinUrl(o.url, "/pooling");
  }

  async verify(input: VerifyInput, trace: Context = ROOT_CONTEXT): Promise<VerifyOutput> {
    // Not incremental: the model scores each step in the context of all before it, so it reads the
    // whole trace every time (no continuation: the caller sends it whole).
    const steps = prmSteps(wholeTrace(input, this.name), input.final);
    const scores = steps.length === 0 ? [] : await this.scoreSteps(input.prompt ?? "", steps, trace);
    return stepScoringVerifier({ name: this.name, scoreSteps: () => scores }, this.o.aggregation).verify(input);
  }

  /** P(step is right) for each of `steps`, in order. Batched with concurrent calls. */
  async scoreSteps(question: string, steps: readonly string[], trace: Context = ROOT_CONTEXT): Promise<number[]> {
    const rows = await this.enqueue(prmInput(question, steps, this.o.systemPrompt), trace);
    return stepScoresFromRows(rows, steps.length);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const p of this.queue.splice(0)) p.reject(shuttingDown());
  }

  private enqueue(input: string, trace: Context): Promise<unknown> {
    if (this.closed) return Promise.reject(shuttingDown());
    return new Promise((resolve, reject) => {
      this.queue.push({ input, trace, resolve, reject });
      if (this.queue.length >= this.o.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.o.batchWindowMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length > 0) void this.send(this.queue.splice(0, this.o.maxBatch));
  }

  /**
   * Sends one batch. A batch the server refuses as a bad request (400/413/422: one input too long, say)
   * is retried input by input, so one bad input fails alone; an engine that is down, overloaded or
   * misconfigured fails the whole batch (splitting it would only multiply the load).
   */
  private async send(batch: Pending[]): Promise<void> {
    // One span per engine request, in the first call's trace and linked to the others' (a no-op when tracing is off).
    const span = startBatchSpan(
      "ttc.verify.engine",
      batch.map((p) => p.trace),
      { "ttc.verifier": this.name, "ttc.batch_size": batch.length },
    );
    let failure: unknown;
    try {
      const rows = await this.post(
        batch.map((p) => p.input),
        traceCarrier(withSpan(span)),
      );
      batch.forEach((p, i) => (rows[i] instanceof Error ? p.reject(rows[i]) : p.resolve(rows[i])));
    } catch (err) {
      failure = err;
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    } finally {
      span.end();
    }
    if (failure === undefined) return;
    if (batch.length > 1 && failure instanceof EngineError && failure.code === "INVALID_ARGUMENT")
      await Promise.all(batch.map((p) => this.send([p])));
    else for (const p of batch) p.reject(failure);
  }

  /** One POST /pooling; the rows of each input in order (an Error for an input the answer lacks). */
  private async post(inputs: string[], headers: Record<string, string>): Promise<(unknown | Error)[]> {
    this.stats.requests++;
    this.stats.inputs += inputs.length;
    const body = { model: this.o.model, input: inputs.length === 1 ? inputs[0] : inputs };
    const json = await postJson(this.endpoint, body, { timeoutMs: this.o.timeoutMs, engine: "prm", headers });
    const data = (json as { data?: unknown } | null)?.data;
    if (!Array.isArray(data))
      throw unreadableAnswer(`prm: POST ${this.endpoint} answered without a data list: ${snippet(JSON.stringify(json))}`);
    const out: (unknown | Error)[] = inputs.map((_, i) => unreadableAnswer(`prm: the answer has no data for input ${i}`));
    data.forEach((item: unknown, position) => {
      const entry = item as { index?: unknown; data?: unknown } | null;
      const index = typeof entry?.index === "number" ? entry.index : position;
      if (Number.isInteger(index) && index >= 0 && index < inputs.length) out[index] = entry?.data;
    });
    return out;
  }
}

/** The verifier stopped before a queued call was sent: another replica may take it. */
function shuttingDown(): EngineError {
  return new EngineError("prm: the verifier is shutting down", { code: "UNAVAILABLE" });
}
