/**
 * Task admission against arbitrary tasks (fast-check), as anyone able to publish on the task subject
 * could send them: decoding never throws out of the worker, and a task the worker agrees to run asks
 * for no more than its limits and streams only into its namespace's trace subjects.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BranchTask } from "@ttc/proto";
import { taskKeyBytes, tryDecode, wireNames } from "@ttc/common";
import { taskRefusal, type TaskLimits } from "../src/task-admission.js";

const names = wireNames("ttc");
const limits: TaskLimits = { maxTokensPerBranch: 32_768, maxGangSize: 64, maxDeadlineMs: 3_600_000 };
const now = 1_700_000_000_000;
const anyUint = fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
const key = fc.oneof(fc.uint8Array({ minLength: taskKeyBytes, maxLength: taskKeyBytes }), fc.uint8Array({ maxLength: 40 }));
const task = fc.record({
  queryId: fc.string({ maxLength: 40 }),
  branchIndex: anyUint,
  prompt: fc.string({ maxLength: 100 }),
  maxTokens: anyUint,
  traceSubject: fc.oneof(
    fc.constantFrom(
      "ttc.trace.s1.q1",
      "ttc.trace.>",
      "ttc.trace.*.*",
      "evil.sink",
      "ttc.trace.s1",
      "ttc.trace.s1.q1.x",
      "other.trace.s1.q1",
    ),
    fc.string({ maxLength: 40 }),
  ),
  deadlineUnixMs: fc.oneof(
    fc.constant(0),
    fc.integer({ min: now - 1_000, max: now + 2 * limits.maxDeadlineMs }),
    fc.constant(Number.MAX_SAFE_INTEGER),
  ),
  gangBranchIndexes: fc.array(anyUint, { maxLength: 80 }),
  gangSeeds: fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 80 }),
  chunkKey: key,
  cancelKey: key,
});

describe("task admission under arbitrary tasks", () => {
  it("any bytes on the task subject: a task or nothing, never a throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const decoded = tryDecode(BranchTask, bytes);
        if (decoded) expect(typeof taskRefusal(decoded, limits, names, now)).not.toBe("undefined");
      }),
      { numRuns: 3_000 },
    );
  });

  it("a task it runs is within its limits and streams into its namespace's trace subjects", () => {
    fc.assert(
      fc.property(task, (fields) => {
        const t = BranchTask.fromPartial({ ...fields, chunkKey: Buffer.from(fields.chunkKey), cancelKey: Buffer.from(fields.cancelKey) });
        const refusal = taskRefusal(t, limits, names, now);
        if (refusal !== null) return;
        expect(names.isTraceSubject(t.traceSubject)).toBe(true);
        expect(t.maxTokens).toBeGreaterThanOrEqual(1);
        expect(t.maxTokens).toBeLessThanOrEqual(limits.maxTokensPerBranch);
        expect(t.deadlineUnixMs).toBeGreaterThan(0);
        expect(t.deadlineUnixMs).toBeLessThanOrEqual(now + limits.maxDeadlineMs);
        expect(t.gangBranchIndexes.length).toBeLessThanOrEqual(limits.maxGangSize);
        expect(t.chunkKey.length).toBe(taskKeyBytes);
      }),
      { numRuns: 3_000 },
    );
  });
});
