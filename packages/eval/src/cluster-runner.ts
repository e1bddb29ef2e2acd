/**
 * The cluster runner: each query goes through a running scheduler (gRPC), NATS and replay workers
 * that serve the same corpus, so what is measured offline can be checked against the real path.
 */
import { TtcClient, type ClientOptions } from "@ttc/client";
import { answerFormatFromLabel, executionModeFromLabel, stopReasonLabel } from "@ttc/proto";
import type { QueryRunner } from "./evaluate.js";
import { replayTokenBudget } from "./simulate.js";

export interface ClusterRunner {
  run: QueryRunner;
  close(): void;
}

/** A runner that sends every query to the scheduler at `address`. */
export function clusterRunner(
  address: string,
  o: { parallelism: number; timeoutMs: number; connection?: Pick<ClientOptions, "tls" | "token"> },
): ClusterRunner {
  const client = new TtcClient(address, { timeoutMs: o.timeoutMs, ...o.connection });
  const run: QueryRunner = async (problem, spec, mode, seed) => {
    const r = await client.solve({
      prompt: problem.record.problem,
      systemPrompt: problem.record.system ?? "",
      maxBranches: problem.branches.length,
      maxTokensPerBranch: Math.max(1, ...problem.branches.map((b) => b.tokens)),
      tokenBudget: replayTokenBudget(problem), // the same budget as in process: never the binding limit
      policy: { name: spec.name, params: spec.params },
      verifier: spec.verifier,
      answerFormat: answerFormatFromLabel(problem.format),
      seed,
      parallelism: o.parallelism,
      mode: executionModeFromLabel(mode),
    });
    const answer = r.answer === "" ? null : r.answer;
    return {
      answer,
      correct: problem.isCorrect(answer),
      tokens: r.compute!.generatedTokens,
      latency: r.timing!.decidedSeconds,
      verifierCalls: r.compute!.verifierCalls,
      branchesLaunched: r.compute!.branchesLaunched,
      branchesPruned: r.compute!.branchesPruned,
      stopReason: stopReasonLabel(r.stopReason),
      decisions: [],
    };
  };
  return { run, close: () => client.close() };
}
