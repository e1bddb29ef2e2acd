import type { BranchTask } from "@ttc/proto";
import { taskKeyBytes, type WireNames } from "@ttc/common";

/** What a worker takes on from one task: its own limits, whatever a task asks for. */
export interface TaskLimits {
  /** The most tokens one branch may ask for. */
  maxTokensPerBranch: number;
  /** The most branches one task (a gang) may carry. */
  maxGangSize: number;
  /** How far ahead a task's deadline may be (ms). */
  maxDeadlineMs: number;
}

/** The largest `attempt_offset` a task may carry. */
const maxAttemptOffset = 1_000_000;

/**
 * Why the worker refuses this task, or null when it runs it. Anyone who can publish on the task
 * subject can put a task in the stream: a task must say where its chunks go inside this cluster's
 * trace namespace, carry its keys and a deadline, and ask for no more than the worker gives.
 */
export function taskRefusal(task: BranchTask, limits: TaskLimits, names: WireNames, now: number): string | null {
  if (!names.isTraceSubject(task.traceSubject))
    return `trace subject "${task.traceSubject.slice(0, 80)}" is not a trace subject of namespace ${names.namespace}`;
  if (task.chunkKey.length !== taskKeyBytes) return `a chunk key of ${task.chunkKey.length} bytes (expected ${taskKeyBytes})`;
  if (task.cancelKey.length !== taskKeyBytes) return `a cancel key of ${task.cancelKey.length} bytes (expected ${taskKeyBytes})`;
  if (task.deadlineUnixMs <= 0) return "no deadline";
  if (task.deadlineUnixMs > now + limits.maxDeadlineMs) return `a deadline more than ${limits.maxDeadlineMs} ms ahead`;
  if (task.maxTokens < 1 || task.maxTokens > limits.maxTokensPerBranch)
    return `max_tokens ${task.maxTokens} outside 1..${limits.maxTokensPerBranch}`;
  const gang = task.gangBranchIndexes.length;
  if (gang > limits.maxGangSize) return `a gang of ${gang} branches (at most ${limits.maxGangSize})`;
  if (gang > 0 && task.gangSeeds.length !== gang) return `${gang} gang branches with ${task.gangSeeds.length} seeds`;
  // Re-dispatches add 100 per round; anything near the top of uint32 would wrap the attempt number.
  if (task.attemptOffset > maxAttemptOffset) return `an attempt offset of ${task.attemptOffset} (at most ${maxAttemptOffset})`;
  return null;
}
