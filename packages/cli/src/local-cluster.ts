import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startLocalNatsServer, type LocalNatsServer } from "@ttc/common";

export interface LocalClusterOptions {
  /** Existing NATS server to use; when absent a local nats-server is spawned. */
  natsUrl?: string;
  workers: number;
  capacity: number;
  grpcHost: string;
  grpcPort: number;
  /** First metrics port: scheduler, verifier, then one per worker. 0 = any free port for each. */
  metricsPort: number;
  namespace: string;
  /** Extra environment for every service (e.g. TTC_SIM_TOKENS_PER_SECOND). */
  env: Record<string, string>;
  /** Where service logs go (one file per service). */
  logDir: string;
}

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** The service's "ready" log line, parsed. */
  ready: Record<string, unknown>;
}

export interface LocalCluster {
  natsUrl: string;
  grpcAddress: string;
  services: ServiceProcess[];
  /** Sends SIGTERM to every service, waits for them, then stops NATS. */
  stop(): Promise<void>;
}

function mainOf(pkg: string): string {
  return fileURLToPath(import.meta.resolve(`${pkg}/main`));
}

/** Spawns one service and resolves once it logs that it is ready. */
export async function spawnService(name: string, pkg: string, env: Record<string, string>, log: WriteStream): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [mainOf(pkg)], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stderr!.pipe(log, { end: false });
  return new Promise<ServiceProcess>((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not become ready within 20 s (see ${log.path})`)), 20_000);
    child.stdout!.on("data", (d: Buffer) => {
      log.write(d);
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (typeof parsed["msg"] === "string" && parsed["msg"].endsWith("ready")) {
            clearTimeout(timer);
            resolve({ name, child, ready: parsed });
          }
        } catch {
          // not a JSON log line
        }
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before it was ready (see ${log.path})`));
    });
  });
}

/** Starts NATS (unless given), a verifier, N workers and a scheduler on this machine. */
export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  mkdirSync(o.logDir, { recursive: true });
  let nats: LocalNatsServer | null = null;
  const natsUrl = o.natsUrl ?? (nats = await startLocalNatsServer()).url;
  const services: ServiceProcess[] = [];
  const logs: WriteStream[] = [];
  const port = (offset: number) => String(o.metricsPort === 0 ? 0 : o.metricsPort + offset);
  const base = { TTC_NATS_URL: natsUrl, TTC_NAMESPACE: o.namespace, ...o.env };
  const start = async (name: string, pkg: string, env: Record<string, string>) => {
    const log = createWriteStream(join(o.logDir, `${name}.log`), { flags: "a" });
    logs.push(log);
    services.push(await spawnService(name, pkg, { ...base, ...env }, log));
  };
  const stop = async () => {
    await Promise.all(
      services.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
            const kill = setTimeout(() => s.child.kill("SIGKILL"), 20_000);
            s.child.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            s.child.kill("SIGTERM");
          }),
      ),
    );
    for (const l of logs) l.end();
    await nats?.stop();
  };
  try {
    await start("verifier", "@ttc/verifier", { TTC_METRICS_PORT: port(1) });
    for (let i = 0; i < o.workers; i++) {
      await start(`worker-${i + 1}`, "@ttc/worker", {
        TTC_WORKER_ID: `worker-${i + 1}`,
        TTC_WORKER_CAPACITY: String(o.capacity),
        TTC_METRICS_PORT: port(2 + i),
      });
    }
    await start("scheduler", "@ttc/scheduler", {
      TTC_GRPC_HOST: o.grpcHost,
      TTC_GRPC_PORT: String(o.grpcPort),
      TTC_METRICS_PORT: port(0),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const scheduler = services.find((s) => s.name === "scheduler")!;
  return { natsUrl, grpcAddress: String(scheduler.ready["grpc"]), services, stop };
}
