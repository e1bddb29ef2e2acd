/**
 * The cluster runner: each query goes through a running scheduler (gRPC), NATS and replay workers
 * that serve the same corpus, so what is measured offline can be checked against the real path.
 */
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { AnswerFormat, ExecutionMode, SchedulerClient, stopReasonToJSON, type SolveRequest, type SolveResult } from "@ttc/proto";
import type { ExecutionMode as ModeName } from "@ttc/policy";
import type { QueryRunner } from "./evaluate.js";

const modeEnum: Record<ModeName, ExecutionMode> = {
  waves: ExecutionMode.EXECUTION_MODE_WAVES,
  "all-parallel": ExecutionMode.EXECUTION_MODE_ALL_PARALLEL,
  sequential: ExecutionMode.EXECUTION_MODE_SEQUENTIAL,
};

const formatEnum: Record<string, AnswerFormat> = {
  text: AnswerFormat.ANSWER_FORMAT_TEXT,
  number: AnswerFormat.ANSWER_FORMAT_NUMBER,
  math: AnswerFormat.ANSWER_FORMAT_MATH,
  date: AnswerFormat.ANSWER_FORMAT_DATE,
  choice: AnswerFormat.ANSWER_FORMAT_CHOICE,
  game24: AnswerFormat.ANSWER_FORMAT_GAME24,
};

export interface ClusterRunner {
  run: QueryRunner;
  close(): void;
}

/** A runner that sends every query to the scheduler at `address`. */
export function clusterRunner(address: string, o: { parallelism: number; timeoutMs: number }): ClusterRunner {
  const client = new SchedulerClient(address, credentials.createInsecure());
  const solve = (req: SolveRequest) =>
    new Promise<SolveResult>((resolve, reject) =>
      client.solve(req, new Metadata(), { deadline: Date.now() + o.timeoutMs }, (err: ServiceError | null, res?: SolveResult) =>
        err ? reject(err) : resolve(res!),
      ),
    );
  const run: QueryRunner = async (problem, spec, mode, seed) => {
    const r = await solve({
      prompt: problem.record.problem,
      systemPrompt: problem.record.system ?? "",
      model: "",
      maxBranches: problem.branches.length,
      maxTokensPerBranch: Math.max(1, ...problem.branches.map((b) => b.tokens)),
      tokenBudget: Math.max(1, 2 * problem.branches.reduce((s, b) => s + b.tokens, 0)), // as simulateQuery: never the binding limit
      policy: { name: spec.name, params: spec.params },
      verifier: spec.verifier,
      answerFormat: formatEnum[problem.format] ?? AnswerFormat.ANSWER_FORMAT_TEXT,
      seed,
      parallelism: o.parallelism,
      mode: modeEnum[mode],
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
      stopReason: stopReasonToJSON(r.stopReason)
        .replace(/^STOP_REASON_/, "")
        .toLowerCase(),
      decisions: [],
    };
  };
  return { run, close: () => client.close() };
}
