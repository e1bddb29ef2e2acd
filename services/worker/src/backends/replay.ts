import { setTimeout as sleep } from "node:timers/promises";
import { countTokens, replayedBranch, stepTokens, type CorpusRecord } from "@ttc/corpus";
import { splitSteps } from "@ttc/policy";
import { EngineError, type Backend, type GenerationEvent, type GenerationRequest } from "../backend.js";

export interface ReplayBackendOptions {
  /** Emulated decode speed per branch; 0 emits every step at once. */
  tokensPerSecond: number;
}

/**
 * Serves recorded real traces: the query's prompt selects the corpus problem, the query seed and the
 * branch index select the recorded branch (the same order the offline evaluator uses), and the trace
 * is emitted step by step at the configured speed. For policy evaluation and reproducible demos.
 */
export class ReplayBackend implements Backend {
  readonly name = "replay";
  readonly synthetic = false;
  private readonly byPrompt = new Map<string, CorpusRecord>();

  constructor(
    records: readonly CorpusRecord[],
    private readonly options: ReplayBackendOptions,
  ) {
    for (const r of records) this.byPrompt.set(r.problem.trim(), r);
  }

  get problems(): number {
    return this.byPrompt.size;
  }

  async *generate(request: GenerationRequest): AsyncIterable<GenerationEvent> {
    const record = this.byPrompt.get(request.prompt.trim());
    if (!record) {
      // The request asks for something this engine cannot serve, as a prompt longer than a model's context would.
      throw new EngineError(`the replay corpus has no problem with this prompt (${this.byPrompt.size} problems loaded)`, {
        code: "INVALID_ARGUMENT",
      });
    }
    const b = record.branches[replayedBranch(record.branches.length, request.querySeed, request.branchIndex)]!;
    yield { type: "prompt", promptTokens: countTokens(`${record.system ?? ""}${record.problem}`, record.tokenCounting) };
    yield { type: "recorded", ...(b.score !== undefined ? { score: b.score } : {}), stepScores: b.stepScores ?? [] };
    const steps = splitSteps(b.text);
    const tokens = stepTokens(record, b);
    const rate = this.options.tokensPerSecond;
    const started = performance.now();
    let emitted = 0;
    let generated = 0;
    for (let i = 0; i < steps.length; i++) {
      if (rate > 0) {
        const due = started + ((generated + tokens[i]!) / rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) {
          try {
            await sleep(wait, undefined, { signal: request.signal });
          } catch {
            return; // aborted mid-step: the step's tokens were not all generated
          }
        }
      } else {
        await new Promise<void>((resolve) => setImmediate(resolve)); // let cancels in
      }
      if (request.signal.aborted) return;
      generated += tokens[i]!;
      emitted += 1;
      yield { type: "tokens", text: steps[i]!, tokens: tokens[i]!, stepEnd: true };
    }
    if (emitted === steps.length) yield { type: "end", finishReason: "stop", promptTokens: 0 };
  }

  async close(): Promise<void> {}
}
