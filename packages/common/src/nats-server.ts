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
  if (options.users) {
    // The configuration format is a superset of JSON.
    const config = join(dir, "nats-server.conf");
    writeFileSync(config, JSON.stringify({ authorization: { users: options.users } }, null, 2), { mode: 0o600 });
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
    if (file) {
      const ports = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nats?: string[] };
      url = ports.nats?.[0] ?? null;
    }
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
