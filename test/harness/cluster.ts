import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, makeGenericClientConstructor, Metadata, type ServiceError } from "@grpc/grpc-js";
import { startLocalCluster, type LocalCluster } from "@ttc/cli";
import { SchedulerClient, SolveRequest, type SolveEvent, type SolveResult } from "@ttc/proto";
import { startNats, type NatsFixture } from "./nats.js";

export interface TestCluster {
  nats: NatsFixture;
  cluster: LocalCluster;
  client: SchedulerClient;
  namespace: string;
  metricsUrl(service: string): string;
  stop(): Promise<void>;
}

/**
 * A whole ttc cluster for one test file: a real nats-server, and scheduler, workers and verifier as
 * real child processes on free ports, in a namespace of their own.
 */
export async function startTestCluster(
  options: { workers?: number; capacity?: number; env?: Record<string, string> } = {},
): Promise<TestCluster> {
  const nats = await startNats();
  const namespace = `t${randomBytes(4).toString("hex")}`;
  const cluster = await startLocalCluster({
    natsUrl: nats.url,
    workers: options.workers ?? 2,
    capacity: options.capacity ?? 4,
    grpcHost: "127.0.0.1",
    grpcPort: 0,
    metricsPort: 0,
    namespace,
    env: { TTC_LOG_LEVEL: "info", TTC_HEARTBEAT_MS: "200", TTC_WORKER_LIVENESS_MS: "1000", ...options.env },
    logDir: mkdtempSync(join(tmpdir(), "ttc-test-logs-")),
  });
  const client = new SchedulerClient(cluster.grpcAddress, credentials.createInsecure());
  return {
    nats,
    cluster,
    client,
    namespace,
    metricsUrl: (service) => String(cluster.services.find((s) => s.name === service)!.ready["metricsUrl"]),
    async stop() {
      client.close();
      await cluster.stop();
      await nats.stop();
    },
  };
}

/** A SolveRequest with every field at its default (the tests' prompt and seed 7), overridden by `over`. */
export function request(over: Partial<SolveRequest> = {}): SolveRequest {
  return SolveRequest.create({ prompt: "sim puzzle 1", seed: 7, ...over });
}

/** Unary Solve as a promise; rejects with the gRPC ServiceError. */
export function solve(client: SchedulerClient, req: SolveRequest, timeoutMs = 30_000): Promise<SolveResult> {
  return new Promise((resolve, reject) =>
    client.solve(req, new Metadata(), { deadline: Date.now() + timeoutMs }, (err: ServiceError | null, res?: SolveResult) =>
      err ? reject(err) : resolve(res!),
    ),
  );
}

/** SolveStream collected: every event, and the error if the stream failed. */
export function solveStream(
  client: SchedulerClient,
  req: SolveRequest,
  timeoutMs = 30_000,
): Promise<{ events: SolveEvent[]; error: ServiceError | null }> {
  return new Promise((resolve) => {
    const events: SolveEvent[] = [];
    const call = client.solveStream(req, new Metadata(), { deadline: Date.now() + timeoutMs });
    call.on("data", (e: SolveEvent) => events.push(e));
    call.on("error", (error: ServiceError) => resolve({ events, error }));
    call.on("end", () => resolve({ events, error: null }));
  });
}

/** Parses a Prometheus text exposition into `name{labels}` → value. */
export async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(url)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Asks the standard gRPC health service for a service's status ("SERVING", "NOT_SERVING", …). */
export async function healthStatus(address: string, service = "ttc.v1.Scheduler"): Promise<string> {
  const { service: healthService } = await import("grpc-health-check");
  const Client = makeGenericClientConstructor(healthService as never, "Health");
  const client = new Client(address, credentials.createInsecure()) as unknown as {
    check(req: { service: string }, cb: (err: ServiceError | null, res?: { status: string | number }) => void): void;
    close(): void;
  };
  try {
    return await new Promise<string>((resolve, reject) =>
      client.check({ service }, (err, res) => (err ? reject(err) : resolve(String(res!.status)))),
    );
  } finally {
    client.close();
  }
}
