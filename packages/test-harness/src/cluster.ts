import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  credentials,
  loadPackageDefinition,
  makeGenericClientConstructor,
  type ChannelCredentials,
  type ServiceError,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { startLocalCluster, type LocalCluster } from "@ttc/cli";
import { TtcClient, TtcError, type SolveRequestInit } from "@ttc/client";
import type { SolveEvent } from "@ttc/proto";
import { startNats, type NatsFixture } from "./nats.js";

export interface TestCluster {
  nats: NatsFixture;
  cluster: LocalCluster;
  /** A client of the cluster's scheduler with a 30 s deadline per call (a call may set its own). */
  client: TtcClient;
  namespace: string;
  metricsUrl(service: string): string;
  stop(): Promise<void>;
}

/**
 * A whole ttc cluster for one test file: a real nats-server, and scheduler, workers and verifier as
 * real child processes on free ports, in a namespace of their own.
 */
export async function startTestCluster(
  options: {
    workers?: number;
    capacity?: number;
    schedulers?: number;
    env?: Record<string, string>;
    /** A local nats-server of the cluster's own, admitting only its throw-away credentials with per-role permissions (as `ttc up`). */
    lockedDown?: boolean;
    /** An existing NATS (e.g. a test's own 3-node cluster) instead of a server of the harness's. */
    natsUrl?: string;
    /** Restart services that exit (as `ttc up`); off by default, so a test's kill stays a kill. */
    supervise?: boolean;
    onRestart?(message: string): void;
  } = {},
): Promise<TestCluster> {
  const shared = options.lockedDown
    ? undefined
    : options.natsUrl !== undefined
      ? { url: options.natsUrl, source: "NATS_URL" as const, stop: async () => {} }
      : await startNats();
  const namespace = `t${randomBytes(4).toString("hex")}`;
  const cluster = await startLocalCluster({
    ...(shared ? { natsUrl: shared.url } : {}),
    workers: options.workers ?? 2,
    capacity: options.capacity ?? 4,
    schedulers: options.schedulers ?? 1,
    grpcHost: "127.0.0.1",
    grpcPort: 0,
    httpPort: 0,
    metricsPort: 0,
    namespace,
    env: { TTC_LOG_LEVEL: "info", TTC_HEARTBEAT_MS: "200", TTC_WORKER_LIVENESS_MS: "1000", ...options.env },
    logDir: mkdtempSync(join(tmpdir(), "ttc-test-logs-")),
    ...(options.supervise ? { supervise: true } : {}),
    ...(options.onRestart ? { onRestart: options.onRestart } : {}),
  });
  const client = new TtcClient(cluster.grpcAddress, { timeoutMs: 30_000 });
  // A locked-down cluster's server is its own, stopped with it.
  const nats: NatsFixture = shared ?? { url: cluster.natsUrl, source: "nats-server", stop: async () => {} };
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

/** The tests' query: prompt "sim puzzle 1" and seed 7, overridden by `over`; the client fills in the rest. */
export function request(over: SolveRequestInit = {}): SolveRequestInit {
  return { prompt: "sim puzzle 1", seed: 7, ...over };
}

/** A SolveStream being read: `events` fills as they arrive; `done` resolves with the call's error, or null. */
export interface CollectedStream {
  events: SolveEvent[];
  done: Promise<TtcError | null>;
}

/** Reads `stream` to its end in the background, so a test can watch the events while the query runs. */
export function collect(stream: AsyncIterable<SolveEvent>): CollectedStream {
  const events: SolveEvent[] = [];
  const done = (async () => {
    try {
      for await (const event of stream) events.push(event);
      return null;
    } catch (error) {
      if (error instanceof TtcError) return error;
      throw error;
    }
  })();
  return { events, done };
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

/** Asks the standard gRPC health service for a service's status ("SERVING", "NOT_SERVING", …), over `creds` (plaintext by default). */
export async function healthStatus(address: string, service = "ttc.v1.Scheduler", creds = credentials.createInsecure()): Promise<string> {
  const { service: healthService } = await import("grpc-health-check");
  const Client = makeGenericClientConstructor(healthService as never, "Health");
  const client = new Client(address, creds) as unknown as {
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

/** The services gRPC server reflection (v1) lists, over `creds` (plaintext by default). */
export async function reflectedServices(address: string, creds = credentials.createInsecure()): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const protoFile = join(dirname(require.resolve("@grpc/reflection")), "..", "proto", "grpc", "reflection", "v1", "reflection.proto");
  const pkg = loadPackageDefinition(loadSync(protoFile)) as unknown as {
    grpc: {
      reflection: {
        v1: {
          ServerReflection: new (
            addr: string,
            creds: ChannelCredentials,
          ) => { serverReflectionInfo(): NodeJS.ReadWriteStream & { end(): void }; close(): void };
        };
      };
    };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(address, creds);
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const call = client.serverReflectionInfo();
      call.on("data", (r: { listServicesResponse?: { service: Array<{ name: string }> } }) =>
        resolve(r.listServicesResponse!.service.map((s) => s.name)),
      );
      call.on("error", reject);
      call.write({ listServices: "" } as never);
      call.end();
    });
  } finally {
    client.close();
  }
}
