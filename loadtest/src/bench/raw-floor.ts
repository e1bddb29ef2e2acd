/**
 * The raw floor of one query: the least any distributed design of ttc pays per query — one gRPC
 * unary call from the client, and two NATS request/replies (a task out and an answer back) — with
 * nothing behind them. A grpc-js echo server in this process, and a NATS echo responder on its own
 * connection to the cluster's nats-server.
 */
import { randomBytes } from "node:crypto";
import { credentials, makeGenericClientConstructor, Server, ServerCredentials, type ServiceDefinition } from "@grpc/grpc-js";
import type { NatsConnection } from "@nats-io/nats-core";
import { connectNats } from "@ttc/common";

/** A unary method that sends bytes as they are: no protobuf, so the floor is transport only. */
const echoService: ServiceDefinition = {
  echo: {
    path: "/bench.Echo/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};

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
  const server = new Server();
  server.addService(echoService, {
    echo: (call: { request: Buffer }, callback: (e: null, r: Buffer) => void) => callback(null, call.request),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const Client = makeGenericClientConstructor(echoService, "Echo");
  const grpc = new Client(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as EchoClient;
  // Requester and responder on separate connections, as two processes would be.
  const requester: NatsConnection = await connectNats(natsUrl, "ttc-bench-floor-requester");
  const responder: NatsConnection = await connectNats(natsUrl, "ttc-bench-floor-responder");
  const subject = `bench.floor.${randomBytes(4).toString("hex")}`;
  responder.subscribe(subject, {
    callback: (err, msg) => {
      if (!err) msg.respond(msg.data);
    },
  });
  await responder.flush();
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
      await responder.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}
