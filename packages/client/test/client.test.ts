import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { ServerCredentials } from "@grpc/grpc-js";
import type { SolveEvent } from "@ttc/proto";
import { status, TtcClient, TtcError, type ClientOptions } from "../src/mod.js";
import { FakeScheduler } from "./fake-scheduler.js";

const unavailable = { code: status.UNAVAILABLE, details: "no workers are connected" };
/** Fast retries, so the tests do not wait on the default backoff. */
const fastRetry = { initialBackoffMs: 5, maxBackoffMs: 20 };

async function failure(promise: Promise<unknown>): Promise<TtcError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TtcError);
  return error as TtcError;
}

async function collect(events: AsyncIterable<SolveEvent>): Promise<{ events: SolveEvent[]; error: TtcError | undefined }> {
  const seen: SolveEvent[] = [];
  try {
    for await (const e of events) seen.push(e);
    return { events: seen, error: undefined };
  } catch (error) {
    expect(error).toBeInstanceOf(TtcError);
    return { events: seen, error: error as TtcError };
  }
}

async function until(probe: () => boolean): Promise<void> {
  while (!probe()) await new Promise((r) => setTimeout(r, 5));
}

describe("TtcClient against a real grpc-js server", () => {
  const fake = new FakeScheduler({
    ok: [{ answer: "42", events: 2 }],
    flaky: [unavailable, { answer: "7" }],
    "flaky stream": [unavailable, { answer: "7", events: 1 }],
    invalid: [{ code: status.INVALID_ARGUMENT, details: "prompt: must not be empty" }],
    down: [unavailable],
    hang: [{ hang: true, events: 1 }],
    "fails mid-stream": [{ ...unavailable, events: 1 }],
  });
  let client: TtcClient;
  beforeAll(async () => {
    client = new TtcClient(await fake.start(), { retry: fastRetry });
  });
  afterAll(async () => {
    client?.close();
    expect(await fake.openConnectionsAfter(2_000)).toBe(0);
    await fake.stop();
  });

  it("solves: the partial request is filled with the proto defaults", async () => {
    const result = await client.solve({ prompt: "ok", maxBranches: 3 });
    expect(result.answer).toBe("42");
    expect(fake.callsOf("ok")).toHaveLength(1);
  });

  it("retries UNAVAILABLE, then answers", async () => {
    expect((await client.solve({ prompt: "flaky" })).answer).toBe("7");
    expect(fake.callsOf("flaky")).toHaveLength(2);
  });

  it("does not retry INVALID_ARGUMENT, and keeps the server's code and details", async () => {
    const error = await failure(client.solve({ prompt: "invalid" }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe("prompt: must not be empty");
    expect(error.message).toBe("INVALID_ARGUMENT: prompt: must not be empty");
    expect(error.cause).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(fake.callsOf("invalid")).toHaveLength(1);
  });

  it("gives up after maxAttempts with the last UNAVAILABLE", async () => {
    const before = fake.callsOf("down").length;
    const error = await failure(client.solve({ prompt: "down" }, { retry: { maxAttempts: 3 } }));
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(error.details).toBe("no workers are connected");
    expect(fake.callsOf("down").length - before).toBe(3);
  });

  it("does not retry when the wait would end past the deadline", async () => {
    const before = fake.callsOf("down").length;
    const started = Date.now();
    // Every wait is 500–1000 ms: none fits in a 400 ms deadline, however many attempts are allowed.
    const retry = { maxAttempts: 100, initialBackoffMs: 1_000, maxBackoffMs: 1_000 };
    const error = await failure(client.solve({ prompt: "down" }, { timeoutMs: 400, retry }));
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(Date.now() - started).toBeLessThan(400);
    expect(fake.callsOf("down").length - before).toBe(1);
  });

  it("is DEADLINE_EXCEEDED past the timeout or the deadline, and the server sees the call end", async () => {
    const before = fake.callsOf("hang").length;
    expect((await failure(client.solve({ prompt: "hang" }, { timeoutMs: 100 }))).code).toBe(status.DEADLINE_EXCEEDED);
    const deadline = new Date(Date.now() + 100);
    expect((await failure(client.solve({ prompt: "hang" }, { deadline, timeoutMs: 60_000 }))).code).toBe(status.DEADLINE_EXCEEDED);
    const calls = fake.callsOf("hang").slice(before);
    expect(calls).toHaveLength(2);
    await Promise.all(calls.map((c) => c.whenCancelled));
  });

  it("cancels on abort: CANCELLED with the reason as cause, and the server sees the cancel", async () => {
    const before = fake.callsOf("hang").length;
    const controller = new AbortController();
    const pending = client.solve({ prompt: "hang" }, { signal: controller.signal });
    await until(() => fake.callsOf("hang").length > before);
    const reason = new Error("the user pressed Ctrl-C");
    controller.abort(reason);
    const error = await failure(pending);
    expect(error.code).toBe(status.CANCELLED);
    expect(error.details).toBe("cancelled by the caller: the user pressed Ctrl-C");
    expect(error.cause).toBe(reason);
    await fake.callsOf("hang").at(-1)!.whenCancelled;
  });

  it("does not call at all with a signal already aborted, and stops waiting to retry on abort", async () => {
    const before = fake.calls.length;
    expect((await failure(client.solve({ prompt: "ok" }, { signal: AbortSignal.abort() }))).code).toBe(status.CANCELLED);
    expect(fake.calls.length).toBe(before);
    const started = Date.now();
    const slowRetry = { initialBackoffMs: 10_000, maxBackoffMs: 10_000 };
    const error = await failure(client.solve({ prompt: "down" }, { retry: slowRetry, signal: AbortSignal.timeout(100) }));
    expect(error.code).toBe(status.CANCELLED);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("streams every event, the result last", async () => {
    const { events, error } = await collect(client.solveStream({ prompt: "ok" }));
    expect(error).toBeUndefined();
    expect(events.map((e) => e.event?.$case)).toEqual(["branchProgress", "branchProgress", "result"]);
  });

  it("cancels the stream when the loop is left early", async () => {
    for await (const event of client.solveStream({ prompt: "hang" })) {
      expect(event.event?.$case).toBe("branchProgress");
      break;
    }
    const call = fake.callsOf("hang").at(-1)!;
    expect(call.method).toBe("solveStream");
    await call.whenCancelled;
  });

  it("cancels the stream on abort, and ends it at the deadline", async () => {
    const controller = new AbortController();
    const seen: SolveEvent[] = [];
    const error = await failure(
      (async () => {
        for await (const event of client.solveStream({ prompt: "hang" }, { signal: controller.signal })) {
          seen.push(event);
          controller.abort();
        }
      })(),
    );
    expect(error.code).toBe(status.CANCELLED);
    expect(seen).toHaveLength(1);
    await fake.callsOf("hang").at(-1)!.whenCancelled;
    expect((await collect(client.solveStream({ prompt: "hang" }, { timeoutMs: 100 }))).error?.code).toBe(status.DEADLINE_EXCEEDED);
  });

  it("retries a stream that failed before its first event", async () => {
    const { events, error } = await collect(client.solveStream({ prompt: "flaky stream" }));
    expect(error).toBeUndefined();
    expect(events.map((e) => e.event?.$case)).toEqual(["branchProgress", "result"]);
    expect(fake.callsOf("flaky stream")).toHaveLength(2);
  });

  it("never retries a stream after it delivered an event", async () => {
    const { events, error } = await collect(client.solveStream({ prompt: "fails mid-stream" }));
    expect(events).toHaveLength(1);
    expect(error?.code).toBe(status.UNAVAILABLE);
    expect(fake.callsOf("fails mid-stream")).toHaveLength(1);
  });
});

describe("TtcClient without a server", () => {
  it("reports a refused connection as UNAVAILABLE, after its retries", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const client = new TtcClient(`127.0.0.1:${port}`, { retry: { ...fastRetry, maxAttempts: 2 }, timeoutMs: 5_000 });
    try {
      const error = await failure(client.solve({ prompt: "anyone?" }));
      expect(error.code).toBe(status.UNAVAILABLE);
    } finally {
      client.close();
    }
  });

  it("refuses options it cannot honour, naming them", () => {
    expect(() => new TtcClient("127.0.0.1:1", { token: "t" })).toThrow(/^token: .*TLS/);
    expect(() => new TtcClient("127.0.0.1:1", { tls: { cert: "x" } })).toThrow(/^tls: cert and key/);
    expect(() => new TtcClient("127.0.0.1:1", { timeoutMs: 0 })).toThrow(/^timeoutMs: /);
    expect(() => new TtcClient("127.0.0.1:1", { retry: { maxAttempts: 0 } })).toThrow(/^retry\.maxAttempts: /);
  });
});

describe("TtcClient over mutual TLS with a bearer token", () => {
  const pem = (name: string) => readFileSync(new URL(`./fixtures/tls/${name}`, import.meta.url));
  const fake = new FakeScheduler({ secure: [{ answer: "yes" }] });
  let address: string;
  beforeAll(async () => {
    address = await fake.start(
      ServerCredentials.createSsl(pem("ca.pem"), [{ private_key: pem("server.key"), cert_chain: pem("server.pem") }], true),
    );
  });
  afterAll(async () => {
    expect(await fake.openConnectionsAfter(2_000)).toBe(0);
    await fake.stop();
  });

  it("presents the client certificate and sends authorization: Bearer", async () => {
    const options: ClientOptions = {
      tls: { ca: pem("ca.pem"), cert: pem("client.pem"), key: pem("client.key"), serverName: "scheduler.ttc.test" },
      token: "s3cret",
    };
    const client = new TtcClient(address, options);
    try {
      expect((await client.solve({ prompt: "secure" })).answer).toBe("yes");
    } finally {
      client.close();
    }
    const call = fake.callsOf("secure")[0]!;
    expect(call.metadata.get("authorization")).toEqual(["Bearer s3cret"]);
    expect(call.clientCommonName).toBe("ttc test client");
  });

  it("fails UNAVAILABLE when the server's certificate does not chain to the CA", async () => {
    const client = new TtcClient(address, { tls: { serverName: "scheduler.ttc.test" }, retry: { maxAttempts: 1 } });
    try {
      expect((await failure(client.solve({ prompt: "secure" }))).code).toBe(status.UNAVAILABLE);
    } finally {
      client.close();
    }
  });
});
