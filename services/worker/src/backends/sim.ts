import { setTimeout as sleep } from "node:timers/promises";
import { planBranch, type SimOptions } from "@ttc/sim";
import type { Backend, GenerationEvent, GenerationRequest } from "../backend.js";

export interface SimBackendOptions extends SimOptions {
  /** Emulated decode speed per branch; 0 emits as fast as possible. */
  tokensPerSecond: number;
}

/** Largest pause between two emissions: keeps batches small so chunk timing looks like decoding. */
const maxTickMs = 20;

/**
 * The synthetic backend: seeded step-by-step arithmetic traces at an emulated decode speed.
 * For demos and load tests only; every trace says it is synthetic and no claim about real models rests on it.
 */
export class SimBackend implements Backend {
  readonly name = "sim";
  readonly synthetic = true;

  constructor(private readonly options: SimBackendOptions) {}

  async *generate(request: GenerationRequest): AsyncIterable<GenerationEvent> {
    const plan = planBranch(request.prompt, request.seed, request.maxTokens, this.options);
    const promptTokens = Math.ceil((request.systemPrompt.length + request.prompt.length) / 4);
    const rate = this.options.tokensPerSecond;
    yield { type: "prompt", promptTokens };
    const started = performance.now();
    let emitted = 0;
    while (emitted < plan.tokens.length) {
      if (request.signal.aborted) return;
      const due = rate > 0 ? Math.min(plan.tokens.length, Math.floor(((performance.now() - started) / 1000) * rate)) : plan.tokens.length;
      if (due <= emitted) {
        const waitMs = Math.min(maxTickMs, ((emitted + 1) / rate) * 1000 - (performance.now() - started));
        try {
          await sleep(Math.max(1, waitMs), undefined, { signal: request.signal });
        } catch {
          return; // aborted while waiting for the next token
        }
        continue;
      }
      // Emit up to the next step boundary at most, so chunks follow steps.
      let text = "";
      let count = 0;
      const logprobs: number[] = [];
      let stepEnd = false;
      while (emitted < due && !stepEnd) {
        const token = plan.tokens[emitted++]!;
        text += token.text;
        logprobs.push(token.logprob);
        count++;
        stepEnd = token.stepEnd;
      }
      yield { type: "tokens", text, tokens: count, stepEnd, logprobs };
      if (rate === 0) await new Promise<void>((resolve) => setImmediate(resolve)); // let cancels in
    }
    if (request.signal.aborted) return;
    yield { type: "end", finishReason: plan.truncated ? "length" : "stop", promptTokens };
  }

  async close(): Promise<void> {}
}
