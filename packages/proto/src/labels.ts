/** Names of the contract's enums as the reasoning core, the CLI and metric labels spell them: defined once. */
import { AnswerFormat } from "./gen/ttc/v1/common.js";
import { ExecutionMode, StopReason } from "./gen/ttc/v1/scheduler.js";

/** Answer format names as the reasoning core spells them. */
export const answerFormatNames = ["text", "number", "math", "date", "choice", "game24"] as const;
export type AnswerFormatLabel = (typeof answerFormatNames)[number];

const formatByEnum: Record<number, AnswerFormatLabel> = {
  [AnswerFormat.ANSWER_FORMAT_TEXT]: "text",
  [AnswerFormat.ANSWER_FORMAT_NUMBER]: "number",
  [AnswerFormat.ANSWER_FORMAT_MATH]: "math",
  [AnswerFormat.ANSWER_FORMAT_DATE]: "date",
  [AnswerFormat.ANSWER_FORMAT_CHOICE]: "choice",
  [AnswerFormat.ANSWER_FORMAT_GAME24]: "game24",
};

/** The format name of a proto enum value; undefined for UNSPECIFIED or unknown values. */
export function answerFormatLabel(format: AnswerFormat): AnswerFormatLabel | undefined {
  return formatByEnum[format];
}

const formatByName = new Map<string, AnswerFormat>(
  Object.entries(formatByEnum).map(([value, name]) => [name, Number(value) as AnswerFormat]),
);

/** The proto enum value of a format name; undefined for unknown names. */
export function answerFormatFromLabel(label: string): AnswerFormat | undefined {
  return formatByName.get(label);
}

/** Execution mode names as the reasoning core spells them. */
export type ExecutionModeLabel = "waves" | "all-parallel" | "sequential";

const modeByName: Record<ExecutionModeLabel, ExecutionMode> = {
  waves: ExecutionMode.EXECUTION_MODE_WAVES,
  "all-parallel": ExecutionMode.EXECUTION_MODE_ALL_PARALLEL,
  sequential: ExecutionMode.EXECUTION_MODE_SEQUENTIAL,
};

/** The proto enum value of an execution mode name; undefined for unknown names. */
export function executionModeFromLabel(label: string): ExecutionMode | undefined {
  return modeByName[label as ExecutionModeLabel];
}

const modeByEnum = new Map<ExecutionMode, ExecutionModeLabel>(
  (Object.entries(modeByName) as [ExecutionModeLabel, ExecutionMode][]).map(([name, value]) => [value, name]),
);

/** The name of an execution mode; undefined for UNSPECIFIED or unknown values. */
export function executionModeLabel(mode: ExecutionMode): ExecutionModeLabel | undefined {
  return modeByEnum.get(mode);
}

const stopByName: Record<string, StopReason> = {
  consensus: StopReason.STOP_REASON_CONSENSUS,
  all_branches_done: StopReason.STOP_REASON_ALL_BRANCHES_DONE,
  token_budget: StopReason.STOP_REASON_TOKEN_BUDGET,
  deadline: StopReason.STOP_REASON_DEADLINE,
  cancelled: StopReason.STOP_REASON_CANCELLED,
  draining: StopReason.STOP_REASON_DRAINING,
  tenant_budget: StopReason.STOP_REASON_TENANT_BUDGET,
};

/** The proto stop reason for the reasoning core's name of it. */
export function stopReasonFromName(name: string): StopReason {
  return stopByName[name] ?? StopReason.STOP_REASON_UNSPECIFIED;
}

/** Short lower-case label of a stop reason (for metrics labels and the CLI). */
export function stopReasonLabel(reason: StopReason): string {
  return Object.entries(stopByName).find(([, v]) => v === reason)?.[0] ?? "unspecified";
}

/** How an engine failed, as `TraceChunk.failure_code` carries it: the gRPC status code name the caller should see. */
export const engineFailureCodes = ["INVALID_ARGUMENT", "FAILED_PRECONDITION", "RESOURCE_EXHAUSTED", "UNAVAILABLE"] as const;
export type EngineFailureCode = (typeof engineFailureCodes)[number];

/** True for a failure code this contract defines (a worker may send anything). */
export function isEngineFailureCode(code: string): code is EngineFailureCode {
  return (engineFailureCodes as readonly string[]).includes(code);
}
