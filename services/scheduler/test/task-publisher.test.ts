import { errors } from "@nats-io/nats-core";
import { JetStreamApiError } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { TaskPublisher, type PublishTask, type TaskToPublish } from "../src/task-publisher.js";

const fast = { maxInFlight: 4, firstRetryDelayMs: 1, maxRetryDelayMs: 4 };

function task(msgID: string, overrides: Partial<TaskToPublish> = {}): TaskToPublish {
  return { data: new Uint8Array([1]), msgID, deadlineAt: Date.now() + 5_000, wanted: () => true, ...overrides };
}

/** A stream whose acks time out for the first `timeouts` publishes of each msgID, then succeed. */
function flakyStream(timeouts: number) {
  const tries = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const publish: PublishTask = async (_data, msgID) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 2));
    inFlight--;
    const n = (tries.get(msgID) ?? 0) + 1;
    tries.set(msgID, n);
    if (n <= timeouts) throw new errors.TimeoutError();
    return { stream: "tasks", seq: n };
  };
  return { publish, tries, maxInFlight: () => maxInFlight };
}

describe("TaskPublisher", () => {
  it("retries a publish whose ack timed out until it lands: a slow stream delays a branch, never fails it", async () => {
    const stream = flakyStream(2);
    const retried: string[] = [];
    const publisher = new TaskPublisher(stream.publish, fast, { retried: (e) => retried.push(e) });
    expect(await publisher.publish(task("q-0"))).toMatchObject({ kind: "published" });
    expect(stream.tries.get("q-0")).toBe(3);
    expect(retried).toHaveLength(2);
  });

  it("retries when JetStream has no responder yet (a server or stream coming back)", async () => {
    let calls = 0;
    const publisher = new TaskPublisher(async () => {
      if (++calls === 1)
        throw new Error("jetstream is not enabled", {
          cause: new errors.RequestError("", { cause: new errors.NoRespondersError("tasks") }),
        });
    }, fast);
    expect(await publisher.publish(task("q-0"))).toMatchObject({ kind: "published" });
    expect(calls).toBe(2);
  });

  it("keeps at most maxInFlight publishes awaiting their ack, however large the burst", async () => {
    const stream = flakyStream(1);
    const publisher = new TaskPublisher(stream.publish, fast);
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => publisher.publish(task(`q-${i}`))));
    expect(outcomes.every((o) => o.kind === "published")).toBe(true);
    expect(stream.maxInFlight()).toBe(fast.maxInFlight);
    expect(publisher.inFlight).toBe(0);
    expect(publisher.waiting).toBe(0);
  });

  it("publishes a burst far larger than its slots in the order it was asked to", async () => {
    const order: string[] = [];
    const publisher = new TaskPublisher(async (_data, msgID) => void order.push(msgID), { ...fast, maxInFlight: 3 });
    const ids = Array.from({ length: 5_000 }, (_, i) => `q-${i}`);
    await Promise.all(ids.map((id) => publisher.publish(task(id))));
    expect(order).toEqual(ids);
    expect(publisher.waiting).toBe(0);
  });

  it("gives up at the task's deadline without calling it a failure: the query's deadline reports it", async () => {
    const publisher = new TaskPublisher(async () => {
      throw new errors.TimeoutError();
    }, fast);
    const outcome = await publisher.publish(task("q-0", { deadlineAt: Date.now() + 30 }));
    expect(outcome.kind).toBe("abandoned");
    expect(outcome).toMatchObject({ lastError: expect.stringMatching(/timeout/i) });
  });

  it("does not publish a task its query no longer wants", async () => {
    let calls = 0;
    const publisher = new TaskPublisher(async () => void calls++, fast);
    expect(await publisher.publish(task("q-0", { wanted: () => false }))).toEqual({ kind: "abandoned", lastError: "" });
    expect(calls).toBe(0);
  });

  it("fails at once when the stream refuses the task for good", async () => {
    let calls = 0;
    const publisher = new TaskPublisher(async () => {
      calls++;
      throw new JetStreamApiError({ err_code: 10054, code: 400, description: "message size exceeds maximum allowed" });
    }, fast);
    expect(await publisher.publish(task("q-0"))).toEqual({ kind: "failed", error: "message size exceeds maximum allowed" });
    expect(calls).toBe(1);
  });
});
