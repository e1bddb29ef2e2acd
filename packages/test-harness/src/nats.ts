import { existsSync } from "node:fs";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectNats, startLocalNatsCluster, startLocalNatsServer, type LocalNatsCluster, type LocalNatsClusterOptions } from "@ttc/common";
import { until } from "./until.js";

export interface NatsFixture {
  url: string;
  /** How the server was obtained, for test logs. */
  source: "NATS_URL" | "testcontainers" | "nats-server";
  stop(): Promise<void>;
  /** Kills the server abruptly; only for a server this fixture started. */
  kill?: () => void;
  /** Starts a fresh server (empty store) on the same port after `kill`. */
  restart?: () => Promise<void>;
}

/**
 * A real NATS server with JetStream for a test file: `NATS_URL` when set, a testcontainers container
 * when a container runtime is reachable, otherwise the local `nats-server` binary on a free port.
 */
export async function startNats(): Promise<NatsFixture> {
  const external = process.env["NATS_URL"];
  if (external) return { url: external, source: "NATS_URL", stop: async () => {} };
  if (existsSync("/var/run/docker.sock") || process.env["DOCKER_HOST"]) {
    try {
      const { NatsContainer } = await import("@testcontainers/nats");
      const container = await new NatsContainer("nats:2.10-alpine").withJetStream().start();
      const o = container.getConnectionOptions();
      const server = String(Array.isArray(o.servers) ? o.servers[0] : o.servers).replace(/^nats:\/\//, "");
      const auth = o.user ? `${encodeURIComponent(o.user)}:${encodeURIComponent(o.pass ?? "")}@` : "";
      return { url: `nats://${auth}${server}`, source: "testcontainers", stop: async () => void (await container.stop()) };
    } catch {
      // a socket without a working engine: fall back to the local binary
    }
  }
  let server = await startLocalNatsServer();
  const port = Number(new URL(server.url).port);
  return {
    url: server.url,
    source: "nats-server",
    stop: () => server.stop(),
    kill: () => server.kill(),
    async restart() {
      await server.stop();
      server = await startLocalNatsServer({ port });
    },
  };
}

/** A local 3-node NATS cluster ({@link startLocalNatsCluster}), returned once JetStream has elected its meta leader. */
export async function startJetStreamCluster(options: LocalNatsClusterOptions = {}): Promise<LocalNatsCluster> {
  const nats = await startLocalNatsCluster(options);
  const probe = await connectNats(nats.url, "cluster-probe");
  try {
    await until(
      () =>
        jetstreamManager(probe)
          .then((m) => m.getAccountInfo())
          .then(
            () => true,
            () => undefined,
          ),
      30_000,
      "JetStream meta leader",
    );
  } finally {
    await probe.close();
  }
  return nats;
}
