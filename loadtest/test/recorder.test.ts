import { describe, expect, it } from "vitest";
import { NO_REPLY, OK, summarize, timeSeries, type QueryRecord } from "../src/mod.js";
import { Recorder } from "../src/recorder.js";

/** An answered query sent at `sent`, ended at `ended`, with `tokens` generated of which `wasted` wasted. */
function answered(index: number, sent: number, ended: number, over: Partial<QueryRecord["result"]> = {}): QueryRecord {
  return {
    index,
    template: index % 2 === 0 ? "even" : "odd",
    scheduledSeconds: sent,
    sentSeconds: sent,
    endedSeconds: ended,
    latencySeconds: ended - sent,
    outcome: OK,
    result: {
      answered: true,
      answer: "42",
      generatedTokens: 100,
      wastedTokens: 10,
      branchesLaunched: 4,
      branchesPruned: 1,
      verifierCalls: 8,
      stopReason: "consensus",
      queuedSeconds: 0.1,
      ...over,
    },
  };
}

function failed(index: number, sent: number, ended: number, outcome: string): QueryRecord {
  return { index, template: "even", scheduledSeconds: sent, sentSeconds: sent, endedSeconds: ended, latencySeconds: ended - sent, outcome };
}

const records: QueryRecord[] = [
  answered(0, 0.0, 0.5),
  answered(1, 0.2, 1.2, { generatedTokens: 300, wastedTokens: 50, branchesLaunched: 8, stopReason: "all_branches_done" }),
  answered(2, 0.4, 1.4),
  answered(3, 1.1, 2.6, { answered: false, answer: "", queuedSeconds: 0.9 }),
  failed(4, 1.5, 1.6, "RESOURCE_EXHAUSTED"),
  failed(5, 1.7, 4.5, NO_REPLY),
  failed(6, 2.2, 3.2, "DEADLINE_EXCEEDED"),
];

describe("the summary", () => {
  const s = summarize(records, 4.5, 2.5);

  it("counts every outcome: answered, each status, no reply", () => {
    expect(s.queries).toBe(7);
    expect(s.answered).toBe(4);
    expect(s.outcomes).toEqual({ OK: 4, RESOURCE_EXHAUSTED: 1, NO_REPLY: 1, DEADLINE_EXCEEDED: 1 });
    expect(s.errors).toEqual({ RESOURCE_EXHAUSTED: 1, NO_REPLY: 1, DEADLINE_EXCEEDED: 1 });
    expect(s.noReply).toBe(1);
    expect(s.noAnswer).toBe(1);
  });

  it("interpolates latency quantiles linearly over the answered queries", () => {
    // Latencies of the answered: 0.5, 1.0, 1.0, 1.5.
    expect(s.latencySeconds.p50).toBeCloseTo(1.0, 12);
    expect(s.latencySeconds.p90).toBeCloseTo(1.35, 12); // position 2.7: 1.0 + 0.7 × 0.5
    expect(s.latencySeconds.p99).toBeCloseTo(1.485, 12);
    expect(s.latencySeconds.max).toBeCloseTo(1.5, 12);
    expect(s.latencySeconds.mean).toBeCloseTo(1.0, 12);
  });

  it("reports offered against answered throughput, compute per answered query and its spread", () => {
    expect(s.offeredPerSecond).toBeCloseTo(7 / 2.5, 12);
    expect(s.answeredPerSecond).toBeCloseTo(4 / 4.5, 12);
    expect(s.tokensPerQuery).toBe(150);
    expect(s.wastedTokensPerQuery).toBe(20);
    expect(s.wasteShare).toBeCloseTo(80 / 600, 12);
    expect(s.branchesPerQuery).toBe(5);
    expect(s.branchesLaunched).toEqual({ "4": 3, "8": 1 });
    expect(s.stopReasons).toEqual({ consensus: 3, all_branches_done: 1 });
    expect(s.byTemplate["odd"]).toMatchObject({ queries: 2, answered: 2, errors: {} });
    expect(s.byTemplate["even"]).toMatchObject({
      queries: 5,
      answered: 2,
      errors: { RESOURCE_EXHAUSTED: 1, NO_REPLY: 1, DEADLINE_EXCEEDED: 1 },
    });
  });
});

describe("the time series", () => {
  const ts = timeSeries(records, 4.5);

  it("has one bucket per started second", () => {
    expect(ts.seconds).toEqual([0, 1, 2, 3, 4]);
  });

  it("puts each query where it was offered and where it ended", () => {
    expect(ts.offered).toEqual([3, 3, 1, 0, 0]);
    expect(ts.answered).toEqual([1, 2, 1, 0, 0]);
    expect(ts.errors).toEqual({ RESOURCE_EXHAUSTED: [0, 1, 0, 0, 0], NO_REPLY: [0, 0, 0, 0, 1], DEADLINE_EXCEEDED: [0, 0, 0, 1, 0] });
    // Every query is counted once as offered and once as ended.
    const ended = ts.answered.map((n, i) => n + Object.values(ts.errors).reduce((s, e) => s + e[i]!, 0));
    expect(ended.reduce((a, b) => a + b)).toBe(records.length);
  });

  it("counts what was in flight at the end of each second", () => {
    // At t=1: queries 1, 2 (sent 0.2, 0.4, ended after 1). At t=2: 3 and 5. At t=3: 5 and 6. At t=4: 5. At t=5: none.
    expect(ts.inFlight).toEqual([2, 2, 2, 1, 0]);
  });

  it("gives the quantiles of the queries that answered in each second, null where none did", () => {
    expect(ts.latencySeconds.p50).toEqual([0.5, 1.0, 1.5, null, null]);
    expect(ts.tokens).toEqual([100, 400, 100, 0, 0]);
    expect(ts.wastedTokens).toEqual([10, 60, 10, 0, 0]);
    expect(ts.queueWaitSeconds.p50).toEqual([0.1, 0.1, 0.9, null, null]);
  });
});

describe("the recorder", () => {
  it("tracks sent, in flight and outcomes, and the recent latency quantiles", () => {
    const recorder = new Recorder(10);
    for (let i = 0; i < 4; i++) recorder.sent();
    recorder.ended(answered(0, 0, 1));
    recorder.ended(answered(1, 0, 4));
    recorder.ended(failed(2, 0, 6, "UNAVAILABLE"));
    const p = recorder.snapshot(7);
    expect(p).toMatchObject({ planned: 10, sent: 4, inFlight: 1, outcomes: { OK: 2, UNAVAILABLE: 1 } });
    // Only the answered query that ended within the last five seconds counts.
    expect(p.recent).toEqual({ answered: 1, p50: 4, p99: 4 });
  });
});
