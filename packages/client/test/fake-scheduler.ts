/**
 * A real grpc-js server implementing `ttc.v1.Scheduler` with scripted replies, for the client's
 * tests. It listens on port 0 through a `net.Server` of its own and hands every socket to grpc-js
 * (`createConnectionInjector`), so it can count the TCP connections still open: a test's teardown
 * proves the client closed every one.
 */
import { once } from "node:events";
import { createServer, type AddressInfo, type Socket } from "node:net";
import type { PeerCertificate } from "node:tls";
import { Server, ServerCredentials, status, type Metadata, type ServerUnaryCall, type ServerWritableStream } from "@grpc/grpc-js";
import { SchedulerService, SolveResult, type SchedulerServer, type SolveEvent, type SolveRequest } from "@ttc/proto";

/** What the fake does with one call, chosen by the call's prompt and attempt. */
export type Reply =
  /** Solve: this answer; SolveStream: `events` progress events, then the result with this answer. */
  | { answer: string; events?: number }
  /** Fails with `code` (on a stream, after `events` progress events). */
  | { code: status; details: string; events?: number }
  /** Never answers (on a stream, after `events` progress events): only a cancel or the deadline ends the call. */
  | { hang: true; events?: number };

/** One call the fake received. */
export interface ReceivedCall {
  method: "solve" | "solveStream";
  prompt: string;
  metadata: Metadata;
  /** The client certificate's subject CN under mutual TLS. */
  clientCommonName: PeerCertificate["subject"]["CN"] | undefined;
  /** True once the client cancelled the call or its deadline passed. */
  cancelled: boolean;
  /** Resolves when the call is cancelled. */
  whenCancelled: Promise<void>;
}

/** The fake server; `replies` maps a prompt to its replies by attempt (the last one repeats). */
export class FakeScheduler {
  readonly calls: ReceivedCall[] = [];
  readonly #grpc = new Server();
  readonly #net = createServer((socket) => this.#accept(socket));
  readonly #sockets = new Set<Socket>();
  #inject: ((socket: Socket) => void) | undefined;

  constructor(private readonly replies: Record<string, Reply[]>) {
    const implementation: SchedulerServer = {
      getQuery: (_call, callback) => callback({ code: status.UNIMPLEMENTED, details: "not in this fake" }),
      watchQuery: (call) => void call.emit("error", { code: status.UNIMPLEMENTED, details: "not in this fake" }),
      solve: (call, callback) => {
        const reply = this.#receive("solve", call, call.request.prompt);
        if ("hang" in reply) return;
        if ("code" in reply) return callback({ code: reply.code, details: reply.details });
        callback(null, result(reply.answer));
      },
      solveStream: (call) => {
        const reply = this.#receive("solveStream", call, call.request.prompt);
        for (let i = 0; i < (reply.events ?? 0); i++) call.write(progress(i));
        if ("hang" in reply) return;
        // grpc-js's way to end a server stream with a status: the stream's own 'error' handler sends it.
        if ("code" in reply) return void call.emit("error", { code: reply.code, details: reply.details });
        call.write({ event: { $case: "result", value: result(reply.answer) } });
        call.end();
      },
    };
    this.#grpc.addService(SchedulerService, implementation);
  }

  /** Starts listening on 127.0.0.1, port 0; returns `host:port`. */
  async start(credentials: ServerCredentials = ServerCredentials.createInsecure()): Promise<string> {
    const injector = this.#grpc.createConnectionInjector(credentials);
    this.#inject = (socket) => injector.injectConnection(socket);
    this.#net.listen(0, "127.0.0.1");
    await once(this.#net, "listening");
    return `127.0.0.1:${(this.#net.address() as AddressInfo).port}`;
  }

  /** The calls received with `prompt`. */
  callsOf(prompt: string): ReceivedCall[] {
    return this.calls.filter((c) => c.prompt === prompt);
  }

  /** Waits (up to `timeoutMs`) until no client connection is open; returns how many still are. */
  async openConnectionsAfter(timeoutMs: number): Promise<number> {
    const end = Date.now() + timeoutMs;
    while (this.#sockets.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return this.#sockets.size;
  }

  /** Stops the server, closing whatever connection is left. */
  async stop(): Promise<void> {
    this.#grpc.forceShutdown();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#net.close(resolve));
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
    this.#inject!(socket);
  }

  #receive(
    method: ReceivedCall["method"],
    call: ServerUnaryCall<SolveRequest, SolveResult> | ServerWritableStream<SolveRequest, SolveEvent>,
    prompt: string,
  ): Reply {
    const replies = this.replies[prompt];
    if (!replies) throw new Error(`the fake has no reply for prompt ${JSON.stringify(prompt)}`);
    const attempt = this.callsOf(prompt).length;
    const received: ReceivedCall = {
      method,
      prompt,
      metadata: call.metadata,
      clientCommonName: call.getAuthContext().sslPeerCertificate?.subject?.CN,
      cancelled: false,
      whenCancelled: new Promise((resolve) =>
        call.once("cancelled", () => {
          received.cancelled = true;
          resolve();
        }),
      ),
    };
    this.calls.push(received);
    return replies[Math.min(attempt, replies.length - 1)]!;
  }
}

function progress(tokens: number): SolveEvent {
  return { event: { $case: "branchProgress", value: { index: 0, tokens, score: -1 } } };
}

function result(answer: string): SolveResult {
  return SolveResult.create({ answer, queryId: "q1" });
}
