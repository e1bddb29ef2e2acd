import { credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import {
  answerFormatFromLabel,
  answerFormatNames,
  executionModeFromLabel,
  branchStatusToJSON,
  ExecutionMode,
  executionModeToJSON,
  SchedulerClient,
  stopReasonToJSON,
  type SolveEvent,
  type SolveRequest,
  type SolveResult,
} from "@ttc/proto";
import { ProgressView, summarize } from "./progress-view.js";

export interface SolveOptions {
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
  timeout: number;
  json?: boolean;
  mode?: string;
}

function modeFromLabel(label: string | undefined): ExecutionMode {
  if (label === undefined) return ExecutionMode.EXECUTION_MODE_UNSPECIFIED;
  const m = executionModeFromLabel(label);
  if (m === undefined) throw new Error(`--mode ${label}: expected one of waves, all-parallel, sequential`);
  return m;
}

/** Builds the request from CLI options; throws a readable Error on a bad option. */
export function buildRequest(prompt: string, o: SolveOptions): SolveRequest {
  const params: Record<string, number> = {};
  for (const p of o.param ?? []) {
    const [k, v] = p.split("=");
    if (!k || v === undefined || !Number.isFinite(Number(v))) throw new Error(`--param ${p}: expected name=number`);
    params[k] = Number(v);
  }
  let answerFormat = 0;
  if (o.format) {
    const f = answerFormatFromLabel(o.format);
    if (f === undefined) throw new Error(`--format ${o.format}: expected one of ${answerFormatNames.join(", ")}`);
    answerFormat = f;
  }
  return {
    prompt,
    systemPrompt: o.system ?? "",
    model: o.model ?? "",
    maxBranches: o.branches ?? 0,
    maxTokensPerBranch: o.maxTokens ?? 0,
    tokenBudget: o.budget ?? 0,
    policy: o.policy || Object.keys(params).length ? { name: o.policy ?? "", params } : undefined,
    verifier: o.verifier ?? "",
    answerFormat,
    seed: o.seed ?? 0,
    parallelism: o.parallelism ?? 0,
    mode: modeFromLabel(o.mode),
  };
}

/** Runs `ttc solve`: live per-branch progress on a terminal, then the summary (or one JSON result). */
export async function runSolve(prompt: string, o: SolveOptions, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const request = buildRequest(prompt, o);
  const client = new SchedulerClient(o.addr, credentials.createInsecure());
  const view = new ProgressView();
  const live = out.isTTY && !o.json;
  let drawn = 0;
  const draw = () => {
    if (!live) return;
    const lines = view.render((out.columns ?? 100) - 1);
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
  try {
    const result = await new Promise<SolveResult>((resolve, reject) => {
      const call = client.solveStream(request, new Metadata(), { deadline: Date.now() + o.timeout * 1000 });
      let final: SolveResult | null = null;
      process.once("SIGINT", () => call.cancel());
      call.on("data", (event: SolveEvent) => {
        view.apply(event);
        if (event.event?.$case === "result") final = event.event.value;
        else if (!live && !o.json) printPlainEvent(event, out);
        scheduleDraw();
      });
      call.on("error", reject);
      call.on("end", () => (final ? resolve(final) : reject(new Error("the stream ended without a result"))));
    });
    if (timer) clearTimeout(timer);
    if (o.json) {
      out.write(`${JSON.stringify(resultToJson(result), null, 2)}\n`);
    } else {
      view.apply({ event: { $case: "result", value: result } });
      if (live) draw();
      else out.write(`${view.render(200).join("\n")}\n`);
      out.write(`\n${summarize(result).join("\n")}\n`);
    }
    return result.answer ? 0 : 3;
  } catch (err) {
    if (timer) clearTimeout(timer);
    const e = err as ServiceError;
    const code = typeof e.code === "number" ? status[e.code] : "ERROR";
    process.stderr.write(`ttc solve failed: ${code}: ${e.details || e.message}\n`);
    return 2;
  } finally {
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
