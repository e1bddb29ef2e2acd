/** `ttc solve`: one query to a scheduler, its branches drawn live, then the answer and its cost. */
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from "./connection-flags.js";
import { Option, type Command } from "commander";
import { localSchedulerAddress, numberInRange, TtcClient, type SolveRequestInit } from "@ttc/client";
import { executionModes, policyNames, verifierNames } from "@ttc/policy";
import {
  answerFormatFromLabel,
  answerFormatNames,
  branchStatusToJSON,
  executionModeFromLabel,
  executionModeToJSON,
  stopReasonToJSON,
  type SolveEvent,
  type SolveResult,
} from "@ttc/proto";
import { addJsonOutputOptions, emitOutput, numberFlag, type JsonOutputOptions } from "./flags.js";
import { ProgressView, summarize } from "./progress-view.js";

export interface SolveOptions extends JsonOutputOptions, ConnectionFlags {
  addr: string;
  branches?: number;
  parallelism?: number;
  policy?: string;
  param?: string[];
  verifier?: string;
  format?: string;
  maxTokens?: number;
  budget?: number;
  seed?: number;
  system?: string;
  model?: string;
  timeoutMs: number;
  mode?: string;
  requestId?: string;
}

/** Unsigned 32-bit fields of the request (0 means the scheduler default). */
const uint32 = { integer: true, min: 0, max: 2 ** 32 - 1 };
/** Unsigned 64-bit fields, as far as a JavaScript number is exact. */
const uint64 = { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER };

/** Adds `ttc solve` to the program; `--addr` defaults to `$TTC_ADDR`. */
export function registerSolveCommand(program: Command, env: NodeJS.ProcessEnv = process.env): void {
  const command = program
    .command("solve")
    .description("send one query to a scheduler and watch its branches")
    .argument("<prompt>", "the question")
    .option("--addr <host:port>", "scheduler gRPC address (TTC_ADDR sets the default)", env["TTC_ADDR"] ?? localSchedulerAddress)
    .option("--branches <n>", "maximum branches (0 = scheduler default)", numberFlag(uint32))
    .option("--parallelism <n>", "branches in flight at once, the wave width (0 = scheduler default)", numberFlag(uint32))
    .addOption(new Option("--mode <mode>", "execution mode").choices(executionModes))
    .addOption(new Option("--policy <name>", "stopping and aggregation policy").choices(policyNames))
    .option("--param <name=value...>", "policy parameter, e.g. threshold=0.9 (repeatable)")
    .addOption(new Option("--verifier <name>", "verifier that scores the traces").choices(verifierNames))
    .addOption(new Option("--format <fmt>", "answer format").choices(answerFormatNames))
    .option("--max-tokens <n>", "token limit per branch (0 = scheduler default)", numberFlag(uint32))
    .option("--budget <n>", "total token budget for the query (0 = scheduler default)", numberFlag(uint64))
    .option("--seed <n>", "sampling seed (0 = random)", numberFlag(uint64))
    .option("--system <text>", "system prompt")
    .option("--model <name>", "model name for the workers")
    .option("--timeout-ms <ms>", "deadline of the call", numberFlag({ integer: true, min: 1 }), 120_000)
    .option(
      "--request-id <id>",
      "identifies the request across retries: run again with the same id (and the same question and flags) to get its answer, join it, or resume it on another scheduler",
    )
    .addHelpText("after", "\nExit code: 0 with an answer, 3 without one, 2 when the call fails.");
  addConnectionFlags(command, env);
  addJsonOutputOptions(command, "the result").action(async (prompt: string, options: SolveOptions) => {
    process.exitCode = await runSolve(prompt, options);
  });
}

/** Builds the request from CLI options; throws a readable Error on a bad option. */
export function buildRequest(prompt: string, o: SolveOptions): SolveRequestInit {
  const params: Record<string, number> = {};
  for (const p of o.param ?? []) {
    const [, name, value] = /^([^=]+)=(.*)$/.exec(p) ?? [];
    if (name === undefined || value === undefined) throw new Error(`--param ${p}: expected name=number`);
    params[name] = numberInRange(value, {}, `--param ${name}`);
  }
  const answerFormat = o.format === undefined ? undefined : answerFormatFromLabel(o.format);
  if (o.format !== undefined && answerFormat === undefined) {
    throw new Error(`--format ${o.format}: expected one of ${answerFormatNames.join(", ")}`);
  }
  const mode = o.mode === undefined ? undefined : executionModeFromLabel(o.mode);
  if (o.mode !== undefined && mode === undefined) throw new Error(`--mode ${o.mode}: expected one of ${executionModes.join(", ")}`);
  return {
    prompt,
    systemPrompt: o.system,
    model: o.model,
    maxBranches: o.branches,
    maxTokensPerBranch: o.maxTokens,
    tokenBudget: o.budget,
    policy: o.policy || Object.keys(params).length ? { name: o.policy ?? "", params } : undefined,
    verifier: o.verifier,
    answerFormat,
    seed: o.seed,
    parallelism: o.parallelism,
    mode,
    requestId: o.requestId,
  };
}

/** Runs `ttc solve`: live per-branch progress on a terminal, then the summary (or one JSON result). */
export async function runSolve(prompt: string, o: SolveOptions, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const request = buildRequest(prompt, o);
  const client = new TtcClient(o.addr, { timeoutMs: o.timeoutMs, ...connectionOptions(o) });
  const view = new ProgressView();
  const live = out.isTTY && !o.json;
  let drawn = 0;
  const draw = () => {
    if (!live) return;
    // One row stays free for the cursor: a frame taller than the terminal could not be redrawn in place.
    const lines = view.render((out.columns ?? 100) - 1, (out.rows ?? 24) - 1);
    out.write(`${drawn > 0 ? `\x1b[${drawn}F` : ""}${lines.map((l) => `\x1b[2K${l}`).join("\n")}\n`);
    drawn = lines.length;
  };
  let timer: NodeJS.Timeout | null = null;
  const scheduleDraw = () => {
    timer ??= setTimeout(() => {
      timer = null;
      draw();
    }, 50);
  };
  const interrupted = new AbortController();
  const onSigint = () => interrupted.abort(new Error("interrupted (SIGINT)"));
  process.once("SIGINT", onSigint);
  try {
    let result: SolveResult | undefined;
    for await (const event of client.solveStream(request, { signal: interrupted.signal })) {
      view.apply(event);
      if (event.event?.$case === "result") result = event.event.value;
      else if (!live && !o.json) printPlainEvent(event, out);
      scheduleDraw();
    }
    if (timer) clearTimeout(timer);
    if (!result) throw new Error("the scheduler's stream ended without a result");
    if (!o.json) {
      if (live) draw();
      else out.write(`${view.render(200).join("\n")}\n`);
    }
    emitOutput(o, resultToJson(result), () => `\n${summarize(result).join("\n")}`, out);
    return result.answer ? 0 : 3;
  } catch (err) {
    if (timer) clearTimeout(timer);
    process.stderr.write(`ttc solve failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  } finally {
    process.off("SIGINT", onSigint);
    client.close();
  }
}

/** Without a terminal, progress is printed as one line per branch event (no redraws). */
function printPlainEvent(event: SolveEvent, out: NodeJS.WriteStream): void {
  const e = event.event;
  if (!e) return;
  if (e.$case === "branchStarted")
    out.write(`branch ${e.value.index} started on ${e.value.workerId}${e.value.attempt > 1 ? ` (attempt ${e.value.attempt})` : ""}\n`);
  else if (e.$case === "branchFinished")
    out.write(
      `branch ${e.value.index} finished: ${e.value.answer || "(no answer)"} after ${e.value.tokens} tokens, score ${e.value.score.toFixed(2)}\n`,
    );
  else if (e.$case === "branchPruned") out.write(`branch ${e.value.index} stopped after ${e.value.tokens} tokens: ${e.value.reason}\n`);
  else if (e.$case === "branchFailed") out.write(`branch ${e.value.index} failed: ${e.value.reason}\n`);
  else if (e.$case === "consensus")
    out.write(
      `consensus: ${e.value.leader || "-"} P=${e.value.leaderProbability.toFixed(3)} (${e.value.votes.map((v) => `${v.answer}×${v.count}`).join(" ")})\n`,
    );
}

/** The result as JSON with every field present (proto3 JSON would drop zeros such as branch index 0). */
export function resultToJson(result: SolveResult): Record<string, unknown> {
  return {
    ...result,
    stopReason: stopReasonToJSON(result.stopReason),
    mode: executionModeToJSON(result.mode),
    branches: result.branches.map((b) => ({ ...b, status: branchStatusToJSON(b.status) })),
  };
}
