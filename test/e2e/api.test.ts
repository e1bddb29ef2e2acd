import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { credentials, makeGenericClientConstructor, status } from "@grpc/grpc-js";
import type { TtcError } from "@ttc/client";
import { connectNats, wireNames } from "@ttc/common";
import { AnswerFormat } from "@ttc/proto";
import { reflectedServices, request, scrape, startTestCluster, type TestCluster } from "@ttc/test-harness";

/** Contract edges: bad input of every kind, server reflection, and garbage on the NATS subjects. */
describe("the gRPC contract", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startTestCluster({ workers: 2, env: { TTC_SIM_TOKENS_PER_SECOND: "0", TTC_MAX_PROMPT_BYTES: "1000" } });
  });
  afterAll(async () => c?.stop());

  const invalid: Array<[string, Parameters<typeof request>[0], RegExp]> = [
    ["empty prompt", { prompt: "   " }, /^prompt: must not be empty/],
    ["oversize prompt", { prompt: "x".repeat(1001) }, /^prompt: .*over the limit of 1000 bytes/],
    ["absurd branch count", { maxBranches: 1_000_000 }, /^max_branches: 1000000 is over the limit of 256/],
    ["absurd per-branch tokens", { maxTokensPerBranch: 1e9 }, /^max_tokens_per_branch: .*over the limit/],
    ["token budget over the limit", { tokenBudget: 1e12 }, /^token_budget: .*over the limit/],
    ["unknown policy", { policy: { name: "vibes", params: {} } }, /^policy\.name: .*majority.*adaptive/],
    ["policy parameter out of range", { policy: { name: "adaptive", params: { threshold: 2 } } }, /^policy\.params\.threshold: /],
    ["unknown policy parameter", { policy: { name: "adaptive", params: { window: 3 } } }, /^policy\.params\.window: /],
    ["unknown verifier", { verifier: "oracle" }, /^verifier: unknown verifier "oracle"; known: none, arith/],
    ["unknown answer format", { answerFormat: 42 as AnswerFormat }, /^answer_format: unknown value 42/],
  ];
  for (const [name, over, message] of invalid) {
    it(`${name} is INVALID_ARGUMENT naming the field`, async () => {
      const err = (await c.client.solve(request(over)).catch((e: TtcError) => e)) as TtcError;
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toMatch(message);
    });
  }

  /** Sends raw bytes as a Solve request, bypassing the client's encoder. */
  function solveRaw(bytes: Uint8Array): Promise<{ code: number; details: string }> {
    const Raw = makeGenericClientConstructor(
      {
        solve: {
          path: "/ttc.v1.Scheduler/Solve",
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      "Raw",
    );
    const client = new Raw(c.cluster.grpcAddress, credentials.createInsecure()) as unknown as {
      solve(b: Buffer, cb: (err: { code: number; details: string } | null) => void): void;
      close(): void;
    };
    return new Promise((resolve) =>
      client.solve(Buffer.from(bytes), (err) => {
        client.close();
        resolve(err ?? { code: status.OK, details: "" });
      }),
    );
  }

  it("a 64-bit field past 2^53 is INVALID_ARGUMENT naming the field, not INTERNAL", async () => {
    const bytes = new BinaryWriter()
      .uint32(10)
      .string("What is 2 + 2?")
      .uint32(80)
      .uint64(2n ** 60n)
      .finish();
    const err = await solveRaw(bytes);
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toBe("seed is 1152921504606846976, more than 9007199254740991 (2^53 − 1), the largest value this service takes");
  });

  it("bytes that are not a request at all are INVALID_ARGUMENT saying so", async () => {
    const err = await solveRaw(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^the request is not a valid message: /);
  });

  it("counts refused queries by outcome", async () => {
    const m = await scrape(c.metricsUrl("scheduler"));
    expect(m.get('ttc_scheduler_queries_total{outcome="invalid_argument"}')).toBe(invalid.length);
  });

  it("serves reflection listing the Scheduler and health services", async () => {
    const names = await reflectedServices(c.cluster.grpcAddress);
    expect(names).toContain("ttc.v1.Scheduler");
    expect(names).toContain("grpc.health.v1.Health");
  });

  it("drops and counts malformed NATS messages without crashing any service", async () => {
    const names = wireNames(c.namespace);
    const nc = await connectNats(c.nats.url, "garbage");
    const garbage = new Uint8Array([0x0a, 0xff, 0xff, 0xff]);
    nc.publish(names.heartbeatSubject("w-garbage"), garbage);
    // Garbage into a live query's trace inbox, found by listening for the scheduler's subjects.
    const inbox = nc.subscribe(`${names.namespace}.trace.>`, { max: 1 });
    await nc.flush();
    const running = c.client.solve(request({ maxBranches: 8, prompt: "garbage in the inbox" }));
    for await (const m of inbox) nc.publish(m.subject, garbage);
    const verify = await nc.request(names.verifySubject("arith"), garbage, { timeout: 2000 });
    expect(verify.data.length).toBeGreaterThan(0); // the verifier answers with an error instead of hanging
    const result = await running;
    expect(result.answer).not.toBe("");
    await nc.close();
    const s = await scrape(c.metricsUrl("scheduler"));
    expect(s.get('ttc_scheduler_malformed_messages_total{kind="heartbeat"}')).toBe(1);
    expect(s.get('ttc_scheduler_malformed_messages_total{kind="trace"}')).toBe(1);
    const v = await scrape(c.metricsUrl("verifier"));
    expect(v.get("ttc_verifier_malformed_messages_total")).toBe(1);
    for (const svc of c.cluster.services) expect(svc.child.exitCode).toBeNull();
  });
});
