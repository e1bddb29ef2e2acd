/**
 * `toServiceError` classifies by type, never by text: the errors here are the ones the libraries and
 * Node really throw (a real nats-server, a refused TCP port), plus engine errors of every code.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, connect as connectTcp, type AddressInfo } from "node:net";
import { status } from "@grpc/grpc-js";
import { jetstream, jetstreamManager, JetStreamApiError } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { EngineError } from "@ttc/common";
import { startNats, type NatsFixture } from "@ttc/test-harness";
import { ServiceError, toServiceError } from "../src/errors.js";

let nats: NatsFixture;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

/** What `work` rejects (or throws) with. */
async function failureOf(work: () => unknown): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error("expected a failure");
}

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const codeOf = (err: unknown) => status[toServiceError(err).code];

describe("toServiceError: NATS and transport failures are UNAVAILABLE", () => {
  it("a request nobody answers (RequestError caused by NoRespondersError)", async () => {
    const err = await failureOf(() => nc.request(`nobody.${process.pid}`, "x", { timeout: 2_000 }));
    expect(codeOf(err)).toBe("UNAVAILABLE");
    expect(toServiceError(err).message).toMatch(/^the cluster is unreachable: /);
    expect(toServiceError(err).options?.cause).toBe(err);
  });

  it("a request that times out", async () => {
    const silent = nc.subscribe(`silent.${process.pid}`, { callback: () => {} });
    await nc.flush();
    expect(codeOf(await failureOf(() => nc.request(`silent.${process.pid}`, "x", { timeout: 50 })))).toBe("UNAVAILABLE");
    silent.unsubscribe();
  });

  it("a JetStream publish with no stream to take it (no responders, deep in the cause chain)", async () => {
    const err = await failureOf(() => jetstream(nc).publish(`nostream.${process.pid}`, "x", { timeout: 2_000 }));
    expect(codeOf(err)).toBe("UNAVAILABLE");
  });

  it("JetStream temporarily unavailable (API status 503), but not a JetStream refusal", async () => {
    const unavailable = new JetStreamApiError({ code: 503, err_code: 10008, description: "JetStream system temporarily unavailable" });
    expect(codeOf(unavailable)).toBe("UNAVAILABLE");
    const jsm = await jetstreamManager(nc);
    const missing = await failureOf(() => jsm.streams.info(`MISSING_${process.pid}`));
    expect(missing).toBeInstanceOf(JetStreamApiError);
    expect(codeOf(missing)).toBe("INTERNAL");
  });

  it("a closed connection, and a server that refuses the connection", async () => {
    const closed = await connect({ servers: nats.url });
    await closed.close();
    expect(codeOf(await failureOf(() => closed.request("x", "y")))).toBe("UNAVAILABLE");
    expect(codeOf(await failureOf(() => closed.publish("x", "y")))).toBe("UNAVAILABLE");
    const port = await closedPort();
    expect(codeOf(await failureOf(() => connect({ servers: `127.0.0.1:${port}`, timeout: 2_000 })))).toBe("UNAVAILABLE");
  });

  it("Node system errors by their code, also as the cause of another error", async () => {
    const port = await closedPort();
    const refused = await failureOf(
      () =>
        new Promise((resolve, reject) => {
          const socket = connectTcp(port, "127.0.0.1", () => resolve(socket));
          socket.on("error", reject);
        }),
    );
    expect((refused as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
    expect(codeOf(refused)).toBe("UNAVAILABLE");
    const fetchFailed = await failureOf(() => fetch(`http://127.0.0.1:${port}/`));
    expect(fetchFailed).toBeInstanceOf(TypeError);
    expect(codeOf(fetchFailed)).toBe("UNAVAILABLE");
  });
});

describe("toServiceError: the rest", () => {
  it("keeps an engine error's code, and its message", () => {
    for (const code of ["INVALID_ARGUMENT", "FAILED_PRECONDITION", "RESOURCE_EXHAUSTED", "UNAVAILABLE"] as const) {
      const err = new EngineError(`engine said ${code}`, { code });
      expect(codeOf(err)).toBe(code);
      expect(toServiceError(err).message).toBe(`engine said ${code}`);
    }
    expect(codeOf(EngineError.fromHttpStatus(413, "prompt too long"))).toBe("INVALID_ARGUMENT");
  });

  it("passes a ServiceError through", () => {
    const err = new ServiceError(status.RESOURCE_EXHAUSTED, "too many queries");
    expect(toServiceError(err)).toBe(err);
  });

  it("never reads the message: words of a transport failure in a plain error are INTERNAL", () => {
    for (const message of ["connect ECONNREFUSED 127.0.0.1:4222", "no responders", "closed connection", "HTTP 503", "disconnect"]) {
      expect(codeOf(new Error(message))).toBe("INTERNAL");
    }
    expect(codeOf("ECONNRESET")).toBe("INTERNAL");
    expect(toServiceError(new Error("boom")).message).toBe("internal error: boom");
  });

  it("follows a cause chain that loops back on itself without hanging", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(codeOf(a)).toBe("INTERNAL");
  });
});
