/**
 * The query engine fed arbitrary trace chunks (fast-check), as a worker holding the branch's key could
 * send them: whatever the numbers, kinds, attempts and texts, no input throws, the query ends, and
 * its bill is made of finite, non-negative, exact integers.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AnswerFormat, ChunkKind, TraceChunk, type SolveResult } from "@ttc/proto";
import { createPolicy } from "@ttc/policy";
import { QueryEngine } from "../src/engine.js";

const maxTokens = 4096;
const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -1, 2 ** 32 - 1, 2 ** 53, Number.MAX_VALUE, Infinity, NaN));
const chunk = fc.record({
  branchIndex: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
  attempt: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
  seq: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
  kind: fc.oneof(fc.constantFrom(1, 2, 3, 4, 5), fc.integer({ min: 0, max: 2 ** 31 - 1 })),
  tokens: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
  text: fc.oneof(fc.constantFrom("The answer is 42.", "\\boxed{7}", ""), fc.string({ maxLength: 200 })),
  engineSeconds: anyNumber,
  recordedScore: anyNumber,
  promptTokens: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  cancelToStopSeconds: anyNumber,
  finishReason: fc.constantFrom("stop", "length", "", "cancelled"),
});

function finiteBill(result: SolveResult): void {
  const c = result.compute!;
  for (const n of [c.generatedTokens, c.wastedTokens, c.branchesLaunched, c.branchesPruned, c.engineSeconds]) {
    expect(Number.isFinite(n)).toBe(true);
    expect(n).toBeGreaterThanOrEqual(0);
  }
  expect(Number.isSafeInteger(c.generatedTokens)).toBe(true);
}

describe("query engine under arbitrary chunks", () => {
  it("never throws, always ends, and bills finite exact numbers", () => {
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 40 }), (chunks) => {
        const engine = new QueryEngine({
          queryId: "q",
          prompt: "What is 6 × 7?",
          answerFormat: "number",
          answerFormatEnum: AnswerFormat.ANSWER_FORMAT_NUMBER,
          policy: createPolicy("majority", {}),
          limits: { maxBranches: 4, parallelism: 4, tokenBudget: 1_000_000, mode: "all-parallel" },
          maxTokensPerBranch: maxTokens,
          verifier: "none",
          partialVerification: false,
          seed: 1,
          gangSize: 1,
          cancelSettleMs: 100,
          deadlineAt: 60_000,
        });
        const effects = [...engine.start(0)];
        let t = 1;
        for (const c of chunks) {
          const input = TraceChunk.fromPartial({ ...c, queryId: "q", workerId: "w", kind: c.kind as ChunkKind });
          effects.push(...engine.on({ kind: "chunk", at: t++, chunk: input }));
        }
        effects.push(...engine.on({ kind: "timer", at: 60_000, timer: "deadline" }));
        effects.push(...engine.on({ kind: "timer", at: 60_200, timer: "settle" }));
        const done = effects.find((e) => e.kind === "done");
        expect(done).toBeDefined();
        if (done?.kind === "done") finiteBill(done.result);
      }),
      { numRuns: 1_000 },
    );
  });
});
