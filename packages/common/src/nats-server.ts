import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { NatsPermissions } from "./nats-permissions.js";

export interface LocalNatsServer {
  readonly url: string;
  readonly pid: number;
  /** Stops the server and removes its JetStream store. */
  stop(): Promise<void>;
  /** Kills the server without cleanup (fault tests). */
  kill(): void;
}

/** Path of the `nats-server` binary, or null when it is not installed. */
export function findNatsServer(): string | null {
  const explicit = process.env["NATS_SERVER_BIN"];
  if (explicit) return explicit;
  const found = spawnSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : null;
}

/** A user of a locked-down local server: an nkey's public key (or a user and password) and what it may do. */
export type LocalNatsUser = ({ nkey: string } | { user: string; password: string }) & { permissions: NatsPermissions };

export interface LocalNatsServerOptions {
  port?: number;
  host?: string;
  binary?: string;
  /** When given, the server admits only these users, each with its permissions. */
  users?: readonly LocalNatsUser[];
  /** Serve TLS with this certificate and key (PEM files); clients must use TLS. */
  tls?: { certFile: string; keyFile: string };
}

/**
 * Starts a local `nats-server` with JetStream on loopback. Port 0 picks a free port, read back from
 * the server's ports file (no race between choosing a port and binding it).
 */
export async function startLocalNatsServer(options: LocalNatsServerOptions = {}): Promise<LocalNatsServer> {
  const binary = options.binary ?? findNatsServer();
  if (!binary) {
    throw new Error(
      "nats-server is not installed: run `npm run setup` (Debian: apt-get install nats-server) or set TTC_NATS_URL to an existing server",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "ttc-nats-"));
  const host = options.host ?? "127.0.0.1";
  const args = ["-a", host, "-p", String(options.port ?? -1), "-js", "-sd", join(dir, "js"), "--ports_file_dir", dir];
  if (options.users || options.tls) {
    // The configuration format is a superset of JSON.
    const config = join(dir, "nats-server.conf");
    const body = {
      ...(options.users ? { authorization: { users: options.users } } : {}),
      ...(options.tls ? { tls: { cert_file: options.tls.certFile, key_file: options.tls.keyFile } } : {}),
    };
    writeFileSync(config, JSON.stringify(body, null, 2), { mode: 0o600 });
    args.push("-c", config);
  }
  const child: ChildProcess = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const started = Date.now();
  let url: string | null = null;
  while (!url) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}: ${stderr}`);
    if (Date.now() - started > 10_000) {
      child.kill("SIGKILL");
      throw new Error(`nats-server did not start within 10 s: ${stderr}`);
    }
    const file = readdirSync(dir).find((f) => f.endsWith(".ports"));
    if (file) url = portsFileUrl(readFileSync(join(dir, file), "utf8"));
    if (!url) await sleep(20);
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await Promise.race([exited, sleep(5_000).then(() => child.kill("SIGKILL"))]);
      rmSync(dir, { recursive: true, force: true });
    },
    kill() {
      child.kill("SIGKILL");
    },
  };
}

export interface LocalNatsCluster {
  /** The three client URLs, comma-separated, as services take them. */
  readonly url: string;
  /** Kills node `i` (SIGKILL), keeping its store, as a crash would. */
  kill(i: number): void;
  /** Starts node `i` again on its ports with its store. */
  restart(i: number): Promise<void>;
  stop(): Promise<void>;
}

/** Free TCP ports on loopback, chosen by the kernel (a route list must name them before the servers start). */
async function freePorts(n: number): Promise<number[]> {
  const { createServer } = await import("node:net");
  const servers = Array.from({ length: n }, () => createServer());
  const ports = await Promise.all(
    servers.map((s) => new Promise<number>((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as { port: number }).port)))),
  );
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface LocalNatsClusterOptions {
  binary?: string;
  /** The address each node listens on and is reached at (default 127.0.0.1 for all three). */
  hosts?: readonly [string, string, string];
  /** A command each node's `nats-server` runs under (e.g. `ip netns exec NAME` to put a node in a network namespace). */
  launcher?: (node: number) => string[];
  /**
   * Seconds between the servers' pings to clients and routes (nats-server's default is 2 minutes): a
   * peer cut off without a reset is noticed after two unanswered pings.
   */
  pingIntervalSeconds?: number;
}

/**
 * Three local `nats-server`s clustered with JetStream (what a task stream replicated three ways
 * needs), each with its own store, for fault tests: a node can be killed and restarted. By default on
 * loopback; `hosts` and `launcher` place nodes elsewhere on this machine (a network namespace).
 * Resolves once every node accepts connections.
 */
export async function startLocalNatsCluster(options: LocalNatsClusterOptions = {}): Promise<LocalNatsCluster> {
  const binary = options.binary ?? findNatsServer();
  if (!binary) throw new Error("nats-server is not installed: run `npm run setup` (Debian: apt-get install nats-server)");
  const hosts = options.hosts ?? ["127.0.0.1", "127.0.0.1", "127.0.0.1"];
  const [c1, c2, c3, r1, r2, r3] = await freePorts(6);
  const clientPorts = [c1!, c2!, c3!];
  const routePorts = [r1!, r2!, r3!];
  const dirs = clientPorts.map(() => mkdtempSync(join(tmpdir(), "ttc-nats-node-")));
  const children: (ChildProcess | null)[] = [null, null, null];
  const start = async (i: number): Promise<void> => {
    const config = join(dirs[i]!, "node.conf");
    writeFileSync(
      config,
      JSON.stringify({
        server_name: `n${i + 1}`,
        host: hosts[i],
        port: clientPorts[i],
        jetstream: { store_dir: join(dirs[i]!, "js") },
        ...(options.pingIntervalSeconds ? { ping_interval: `${options.pingIntervalSeconds}s`, ping_max: 2 } : {}),
        cluster: {
          name: "ttc-test",
          host: hosts[i],
          port: routePorts[i],
          routes: routePorts.flatMap((p, j) => (j === i ? [] : [`nats://${hosts[j]}:${p}`])),
        },
      }),
    );
    const [command, ...args] = [...(options.launcher?.(i) ?? []), binary, "-c", config];
    const child = spawn(command!, args, { stdio: ["ignore", "ignore", "ignore"] });
    children[i] = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nats-server node ${i + 1} exited with code ${child.exitCode}`);
      if (await accepting(clientPorts[i]!, hosts[i]!)) return;
      if (Date.now() > deadline) throw new Error(`nats-server node ${i + 1} did not start within 10 s`);
      await sleep(50);
    }
  };
  await Promise.all([0, 1, 2].map(start));
  return {
    url: clientPorts.map((p, i) => `nats://${hosts[i]}:${p}`).join(","),
    kill: (i) => void children[i]?.kill("SIGKILL"),
    restart: (i) => start(i),
    async stop() {
      await Promise.all(children.map(stopChild));
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** True once something accepts TCP connections on the port (a node is up). */
async function accepting(port: number, host: string): Promise<boolean> {
  const { connect } = await import("node:net");
  return new Promise((resolve) => {
    const socket = connect(port, host, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

async function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(5_000).then(() => child.kill("SIGKILL"))]);
}

/** The client URL a `--ports_file_dir` file names; null while the server has not finished writing it (an empty or partial file). */
function portsFileUrl(text: string): string | null {
  try {
    return (JSON.parse(text) as { nats?: string[] }).nats?.[0] ?? null;
  } catch {
    return null;
  }
}
