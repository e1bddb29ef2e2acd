/**
 * Request validation against arbitrary requests (fast-check): any bytes a caller can send, and any
 * field values, end as a query or as INVALID_ARGUMENT whose message starts with the field it is
 * about. No other error escapes (grpc-js would answer it as INTERNAL, blaming the server).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { AnswerFormat, ExecutionMode, SolveRequest } from "@ttc/proto";
import { loadSchedulerConfig } from "../src/config.js";
import { ServiceError } from "../src/errors.js";
import { tolerantDecoder, undecodableReason } from "../src/request-decoding.js";
import { resolveRequest } from "../src/resolve-request.js";

const config = loadSchedulerConfig({});
/** The request's 64-bit fields, as its descriptor gives them (`proto/ttc/v1/scheduler.proto`). */
const fields = [
  { name: "seed", number: 10, type: "TYPE_UINT64" },
  { name: "token_budget", number: 6, type: "TYPE_UINT64" },
];
const decode = tolerantDecoder((bytes) => SolveRequest.decode(bytes), fields);

/** A field name as the API spells it (snake_case; then dotted names, indexes or quoted keys), then ": ". */
const namesField = /^[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*: \S/;

function outcome(request: SolveRequest): void {
  try {
    resolveRequest(request, config);
  } catch (err) {
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).code).toBe(status.INVALID_ARGUMENT);
    expect((err as ServiceError).message).toMatch(namesField);
  }
}

const anyInt = fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constant(Number.MAX_SAFE_INTEGER));
const request = fc.record({
  prompt: fc.oneof(fc.string({ maxLength: 200 }), fc.constant(" \n"), fc.string({ unit: "binary", maxLength: 100 })),
  systemPrompt: fc.string({ maxLength: 50 }),
  model: fc.string({ maxLength: 30 }),
  maxBranches: anyInt,
  parallelism: anyInt,
  maxTokensPerBranch: anyInt,
  tokenBudget: anyInt,
  verifier: fc.oneof(fc.constantFrom("", "none", "arith", "rule", "prm", "judge", "confidence"), fc.string({ maxLength: 20 })),
  answerFormat: fc.oneof(fc.constantFrom(...Object.values(AnswerFormat).filter((v) => typeof v === "number")), fc.integer()),
  mode: fc.oneof(fc.constantFrom(...Object.values(ExecutionMode).filter((v) => typeof v === "number")), fc.integer()),
  seed: anyInt,
  policy: fc.record({
    name: fc.oneof(fc.constantFrom("", "majority", "adaptive", "esc", "deepconf", "prm-beam"), fc.string({ maxLength: 20 })),
    params: fc.dictionary(
      fc.oneof(fc.constantFrom("threshold", "window", "keep", "beamWidth"), fc.string({ maxLength: 12 })),
      fc.oneof(fc.double(), fc.integer()),
    ),
  }),
});

describe("request validation under arbitrary requests", () => {
  it("any bytes: undecodable (saying why) or a request that resolves or names its bad field", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const decoded = decode(Buffer.from(bytes));
        const why = undecodableReason(decoded);
        if (why !== undefined) expect(why.length).toBeGreaterThan(0);
        else outcome(decoded as SolveRequest);
      }),
      { numRuns: 3_000 },
    );
  });

  it("any field values: a query, or INVALID_ARGUMENT naming the field", () => {
    fc.assert(
      fc.property(request, (fields) => outcome(SolveRequest.fromPartial(fields as Parameters<typeof SolveRequest.fromPartial>[0]))),
      { numRuns: 3_000 },
    );
  });
});
