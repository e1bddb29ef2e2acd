/**
 * The pure verifiers fed arbitrary verify requests (fast-check), as a scheduler or a forger could send
 * them over NATS: any trace, offset, resume state (opaque text the caller echoes, so it may be forged),
 * scores and confidence. Each call either judges, with scores in 0..1, or throws a ResumeError, which
 * the verifier service answers as an unscored reply; nothing else escapes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createVerifier, ResumeError, verifierNames } from "../src/verify/mod.js";

const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -1, 1, 2 ** 53, Infinity, NaN));
const input = fc.record(
  {
    trace: fc.oneof(
      fc.string({ maxLength: 400 }),
      fc.constantFrom("3 + 4 = 7\n5 * 6 = 31\n", "Input: 4 9 10 13\n(10 - 4) * (13 - 9) = 24\n\\boxed{24}"),
    ),
    final: fc.boolean(),
    traceOffset: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
    resume: fc.oneof(
      fc.constant(""),
      fc.string({ maxLength: 80 }),
      fc.json().map((j) => j),
    ),
    prompt: fc.oneof(fc.string({ maxLength: 100 }), fc.constant("Input: 4 9 10 13")),
    format: fc.constantFrom("text", "number", "math", "date", "choice", "game24"),
    recorded: fc.record({ score: anyNumber, stepScores: fc.array(anyNumber, { maxLength: 5 }) }, { requiredKeys: [] }),
    confidence: fc.record({ tokens: fc.nat(), meanLogprob: anyNumber, lowestGroupConfidence: anyNumber, tailGroupConfidence: anyNumber }),
  },
  { requiredKeys: ["trace", "final"] },
);

describe("pure verifiers under arbitrary requests", () => {
  const pure = verifierNames.filter((n) => n !== "prm" && n !== "judge");
  it.each(pure)("%s judges with scores in 0..1, or refuses the resume state with a ResumeError", (name) => {
    const verifier = createVerifier(name);
    fc.assert(
      fc.property(input, (request) => {
        try {
          const out = verifier.verify(request);
          for (const s of [out.score, ...out.stepScores]) {
            expect(Number.isFinite(s)).toBe(true);
            expect(s).toBeGreaterThanOrEqual(0);
            expect(s).toBeLessThanOrEqual(1);
          }
          if (out.continuation) expect(out.continuation.offset).toBeGreaterThanOrEqual(0);
        } catch (err) {
          if (!(err instanceof ResumeError)) throw err;
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
