import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_REPLY, OK, runLoad, type LoadResults } from "../src/mod.js";
import { startFakeScheduler, type FakeScheduler } from "./fake-scheduler.js";

/** Every query is counted once: answered, refused by status, or cancelled as no reply when the grace period ends. */
describe("every outcome is counted, including no reply", () => {
  let fake: FakeScheduler;
  beforeAll(async () => {
    fake = await startFakeScheduler();
  });
  afterAll(async () => {
    await fake?.stop();
  });

  const prompts = ["answer", "refuse", "hang"];

  it("open loop: calls still outstanding after the grace period are cancelled and counted as NO_REPLY", async () => {
    const r: LoadResults = await runLoad({
      addr: fake.address,
      scenario: {
        load: { arrival: "constant", rate: 50, queries: 9, graceSeconds: 0.3 },
        request: { prompts, deadlineMs: 600_000 },
      },
    });
    expect(r.summary.outcomes).toEqual({ [OK]: 3, RESOURCE_EXHAUSTED: 3, [NO_REPLY]: 3 });
    // The prompts are taken in turn, so query i got prompts[i % 3].
    expect(r.queries.map((q) => q.outcome)).toEqual(Array.from({ length: 3 }, () => [OK, "RESOURCE_EXHAUSTED", NO_REPLY]).flat());
    expect(r.queries.find((q) => q.outcome === "RESOURCE_EXHAUSTED")!.detail).toBe("the scheduler already runs 1 queries");
    expect(r.timeSeries.errors[NO_REPLY]!.reduce((a, b) => a + b)).toBe(3);
    expect(r.summary.tokensPerQuery).toBe(120);
    await until(() => fake.cancelled === 3); // the server saw the cancels: nothing is left running there
  });

  it("closed loop with a duration: each caller stuck on a hanging call ends with it as NO_REPLY", async () => {
    const before = fake.cancelled;
    const r = await runLoad({
      addr: fake.address,
      scenario: {
        load: { arrival: "closed", concurrency: 3, durationSeconds: 0.5, graceSeconds: 0.2 },
        request: { prompts, deadlineMs: 600_000 },
      },
    });
    expect(r.summary.noReply).toBe(3);
    expect(r.summary.queries).toBe(r.summary.answered + (r.summary.errors["RESOURCE_EXHAUSTED"] ?? 0) + 3);
    await until(() => fake.cancelled === before + 3);
  });

  it("a deadline the server ignores ends the call with DEADLINE_EXCEEDED before the grace period", async () => {
    const r = await runLoad({
      addr: fake.address,
      scenario: { load: { arrival: "constant", rate: 10, queries: 2, graceSeconds: 30 }, request: { prompts: ["hang"], deadlineMs: 200 } },
    });
    expect(r.summary.outcomes).toEqual({ DEADLINE_EXCEEDED: 2 });
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}
