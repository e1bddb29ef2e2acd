/**
 * The raw floor of one query: the least any distributed design of ttc pays per query — one gRPC
 * unary call from the client to a server process, and two NATS request/replies (a task out and an
 * answer back) to another process — with nothing behind them. The servers (a grpc-js echo and a NATS
 * echo responder on the cluster's nats-server) run in a child process, `floor-server`, so the floor
 * crosses processes where a ttc query does: a server in the caller's own process would answer
 * without waking another process, which no deployment of ttc can do.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { credentials, makeGenericClientConstructor } from "@grpc/grpc-js";
import type { NatsConnection } from "@nats-io/nats-core";
import { connectNats } from "@ttc/common";
import { echoService } from "./echo-service.js";

interface EchoClient {
  echo(request: Buffer, callback: (err: Error | null, response?: Buffer) => void): void;
  close(): void;
}

/** One floor sample, in seconds: a gRPC echo, then two NATS request/replies, one after the other. */
export interface FloorSample {
  grpcSeconds: number;
  natsSeconds: number;
  totalSeconds: number;
}

export interface RawFloor {
  sample(): Promise<FloorSample>;
  close(): Promise<void>;
}

/** A payload the size of a small query (a prompt and a few settings). */
const payload = randomBytes(64);

export async function startRawFloor(natsUrl: string): Promise<RawFloor> {
  const subject = `bench.floor.${randomBytes(4).toString("hex")}`;
  const child = spawn(process.execPath, [fileURLToPath(new URL("./floor-server.js", import.meta.url)), natsUrl, subject], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const port = await readyPort(child);
  const Client = makeGenericClientConstructor(echoService, "Echo");
  const grpc = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { "grpc.enable_channelz": 0 }) as unknown as EchoClient;
  const requester: NatsConnection = await connectNats(natsUrl, "ttc-bench-floor-requester");
  const echo = () => new Promise<void>((resolve, reject) => grpc.echo(payload, (err) => (err ? reject(err) : resolve())));
  return {
    async sample() {
      const started = performance.now();
      await echo();
      const echoed = performance.now();
      await requester.request(subject, payload, { timeout: 5_000 });
      await requester.request(subject, payload, { timeout: 5_000 });
      const ended = performance.now();
      return { grpcSeconds: (echoed - started) / 1000, natsSeconds: (ended - echoed) / 1000, totalSeconds: (ended - started) / 1000 };
    },
    async close() {
      grpc.close();
      await requester.close();
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.stdin?.end();
      await exited;
    },
  };
}

/** The port the floor server prints once it serves; rejects if it exits first. */
function readyPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    child.once("exit", (code) => reject(new Error(`the floor server exited with ${code} before it was ready`)));
    lines.once("line", (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
}
