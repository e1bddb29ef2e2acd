import { describe, expect, it } from "vitest";
import type { SolveEvent } from "@ttc/proto";
import { EventStream, maxHeldEvents, type EventSink } from "../src/event-stream.js";

/** A sink that takes `room` events, then is full until `drain()`. */
function sink(room: number) {
  const written: SolveEvent[] = [];
  let drain: (() => void) | undefined;
  let left = room;
  const s: EventSink = {
    write: (e) => {
      written.push(e);
      return --left > 0;
    },
    once: (_e, l) => (drain = l),
  };
  return {
    s,
    written,
    drain(more: number) {
      left = more;
      const d = drain;
      drain = undefined;
      d?.();
    },
  };
}
const progress = (index: number, tokens: number): SolveEvent => ({
  event: { $case: "branchProgress", value: { index, tokens, score: -1 } },
});
const started = (index: number): SolveEvent => ({ event: { $case: "branchStarted", value: { index, workerId: "w", attempt: 1 } } });
const tokensOf = (e: SolveEvent) => (e.event?.$case === "branchProgress" ? e.event.value.tokens : undefined);

describe("EventStream", () => {
  it("writes straight through while the client reads", () => {
    const k = sink(100);
    const stream = new EventStream(k.s, () => {});
    for (let i = 0; i < 10; i++) stream.write(progress(0, i));
    expect(k.written).toHaveLength(10);
    expect(stream.coalesced).toBe(0);
  });

  it("while the stream is full, keeps only each branch's latest progress, keeps every other event in order, and sends them on drain", () => {
    const k = sink(1);
    const stream = new EventStream(k.s, () => {});
    stream.write(progress(0, 1)); // fills it
    for (let t = 2; t <= 1_000; t++) stream.write(progress(0, t));
    stream.write(started(1));
    for (let t = 1; t <= 500; t++) stream.write(progress(1, t));
    expect(k.written).toHaveLength(1);
    k.drain(100);
    expect(k.written.slice(1).map((e) => e.event?.$case)).toEqual(["branchProgress", "branchStarted", "branchProgress"]);
    expect(k.written.slice(1).map(tokensOf)).toEqual([1_000, undefined, 500]);
    expect(stream.coalesced).toBe(998 + 499);
  });

  it("past the limit of held events it gives up once, and writes nothing more", () => {
    const k = sink(1);
    let overflows = 0;
    const stream = new EventStream(k.s, () => overflows++);
    stream.write(started(0));
    for (let i = 1; i <= maxHeldEvents + 5; i++) stream.write(started(i));
    expect(overflows).toBe(1);
    stream.end({
      event: { $case: "consensus", value: { votes: [], leader: "", leaderProbability: 0, branchesFinished: 0, branchesInFlight: 0 } },
    });
    expect(k.written).toHaveLength(1);
  });
});
