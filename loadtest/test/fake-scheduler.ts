/**
 * A real grpc-js server implementing `ttc.v1.Scheduler` whose reply depends on the prompt: "answer"
 * answers, "refuse" fails with RESOURCE_EXHAUSTED, "hang" never replies (only a cancel or the
 * deadline ends the call). It records which hanging calls were cancelled.
 */
import { Server, ServerCredentials, status } from "@grpc/grpc-js";
import { SchedulerService, SolveResult, StopReason, type SchedulerServer } from "@ttc/proto";

export interface FakeScheduler {
  address: string;
  /** Calls received, by prompt. */
  received: Record<string, number>;
  /** Hanging calls the client cancelled. */
  cancelled: number;
  /** The client addresses calls came from: one per connection. */
  peers: Set<string>;
  stop(): Promise<void>;
}

export async function startFakeScheduler(): Promise<FakeScheduler> {
  const server = new Server();
  const fake = { received: {} as Record<string, number>, cancelled: 0, peers: new Set<string>() };
  const implementation: SchedulerServer = {
    getQuery: (_call, callback) => callback({ code: status.UNIMPLEMENTED, details: "not in this fake" }),
    watchQuery: (call) => void call.emit("error", { code: status.UNIMPLEMENTED, details: "not in this fake" }),
    solve: (call, callback) => {
      const prompt = call.request.prompt;
      fake.peers.add(call.getPeer());
      fake.received[prompt] = (fake.received[prompt] ?? 0) + 1;
      if (prompt === "answer") {
        callback(
          null,
          SolveResult.create({
            answer: "42",
            stopReason: StopReason.STOP_REASON_CONSENSUS,
            compute: { generatedTokens: 120, wastedTokens: 20, branchesLaunched: 3, branchesPruned: 1, verifierCalls: 3 },
            timing: { queuedSeconds: 0.01 },
          }),
        );
      } else if (prompt === "refuse") {
        callback({ code: status.RESOURCE_EXHAUSTED, details: "the scheduler already runs 1 queries" });
      } else {
        call.once("cancelled", () => fake.cancelled++);
      }
    },
    solveStream: (call) => call.emit("error", { code: status.UNIMPLEMENTED, details: "not in this fake" }),
  };
  server.addService(SchedulerService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    get received() {
      return fake.received;
    },
    get cancelled() {
      return fake.cancelled;
    },
    get peers() {
      return fake.peers;
    },
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
