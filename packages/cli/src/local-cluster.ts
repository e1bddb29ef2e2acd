import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, type WriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { startLocalNatsServer, type LocalNatsServer } from "@ttc/common";
import { makeLocalNatsCredentials, type LocalNatsCredentials } from "./nats-credentials.js";

export interface LocalClusterOptions {
  /**
   * Existing NATS server to use (its credentials, if any, come in `env`); when absent a local
   * nats-server is spawned, locked down: it admits only the throw-away credentials made for this
   * cluster, each role with its own permissions.
   */
  natsUrl?: string;
  workers: number;
  capacity: number;
  /**
   * Schedulers sharing the workers (default 1): `scheduler`, `scheduler-2`, …; gRPC on `grpcPort`,
   * `grpcPort + 1`, … (each a free port when 0); metrics after the workers'.
   */
  schedulers?: number;
  grpcHost: string;
  grpcPort: number;
  /** The OpenAI-compatible HTTP API of each scheduler on `httpPort`, `httpPort + 1`, … (0: free ports); undefined: not served. */
  httpPort?: number;
  /** First metrics port: scheduler, verifier, then one per worker. 0 = any free port for each. */
  metricsPort: number;
  namespace: string;
  /** Extra environment for every service (e.g. TTC_SIM_TOKENS_PER_SECOND). */
  env: Record<string, string>;
  /** Where service logs go (one file per service). */
  logDir: string;
  /**
   * Restart a service that exits on its own (crash, kill), with backoff from 1 s doubling to 30 s
   * (back to 1 s after a minute up). `ttc up` supervises; tests that kill services on purpose do not.
   */
  supervise?: boolean;
  /** Told of each restart and of each failed one. */
  onRestart?(message: string): void;
}

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /**
   * What the service announced once it listened (`TTC_ANNOUNCE_FILE`): `metricsUrl`, and the
   * scheduler's `grpc` address or the worker's `backend`. The service was ready (`/readyz`) then.
   */
  ready: Record<string, unknown>;
}

export interface LocalCluster {
  natsUrl: string;
  /** The credentials of a locked-down local NATS (absent with an existing server). */
  natsCredentials?: LocalNatsCredentials;
  /** The first scheduler's gRPC address. */
  grpcAddress: string;
  /** Every scheduler's gRPC address, the first one first. */
  grpcAddresses: string[];
  /** Every scheduler's OpenAI base URL (`http://host:port/v1`), when `httpPort` was given. */
  openaiBaseUrls: string[];
  services: ServiceProcess[];
  /** Sends SIGTERM to every service, waits for them, then stops NATS. */
  stop(): Promise<void>;
}

/** How long a service may take from its spawn to answering 200 on `/readyz`. */
const readyTimeoutMs = 20_000;

function mainOf(pkg: string): string {
  return fileURLToPath(import.meta.resolve(`${pkg}/main`));
}

/**
 * The node flags a service's entry point asks for on its `#!/usr/bin/env -S node …` line: started
 * here with the same flags as when it runs as its own command (`ttc-worker` in the image).
 */
export function nodeFlagsOf(main: string): string[] {
  const first = readFileSync(main, "utf8").split("\n", 1)[0]!;
  const match = /^#!\/usr\/bin\/env -S node((?: --?[\w-]+(?:=\S+)?)*)$/.exec(first);
  return match ? match[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

/**
 * Spawns one service and resolves once its `/readyz` answers 200: the service writes where it
 * listens to a file of ours (`TTC_ANNOUNCE_FILE`, so port 0 works), then the probe is polled. A
 * service that exits first, is not ready in time, or whose start `signal` aborts is killed, and the
 * error names it and its log.
 */
export async function spawnService(
  name: string,
  pkg: string,
  env: Record<string, string>,
  log: WriteStream,
  signal?: AbortSignal,
): Promise<ServiceProcess> {
  const dir = mkdtempSync(join(tmpdir(), `ttc-${name}-`));
  const announceFile = join(dir, "announce.json");
  const main = mainOf(pkg);
  const child = spawn(process.execPath, [...nodeFlagsOf(main), main], {
    env: { ...process.env, ...env, TTC_ANNOUNCE_FILE: announceFile },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const watched: Watched = { name, logPath: String(log.path), stderr: "", ended: null };
  // What the service printed last on stderr (a configuration error, a stack) is the likeliest reason it failed.
  child.stderr!.on("data", (d: Buffer) => (watched.stderr = (watched.stderr + d.toString()).slice(-1000)));
  // "close", not "exit": by then its stderr has been read to the end.
  child.once("close", (code, sig) => (watched.ended = String(code ?? sig)));
  try {
    return { name, child, ready: await untilReady(watched, announceFile, signal) };
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A service being started, as {@link untilReady} sees it. */
interface Watched {
  name: string;
  logPath: string;
  stderr: string;
  /** Its exit code or signal once it has ended. */
  ended: string | null;
}

/** Polls for the service's announcement, then its `/readyz`, until 200; throws when it ends, times out or `signal` aborts. */
async function untilReady(service: Watched, announceFile: string, signal: AbortSignal | undefined): Promise<Record<string, unknown>> {
  const deadline = Date.now() + readyTimeoutMs;
  let announced: Record<string, unknown> | undefined;
  let waitingFor = "it never announced where it listens";
  for (;;) {
    signal?.throwIfAborted();
    if (service.ended !== null) {
      const said = service.stderr.trim() ? `: ${service.stderr.trim()}` : "";
      throw new Error(`${service.name} exited with ${service.ended} before it was ready (see ${service.logPath})${said}`);
    }
    if (Date.now() > deadline)
      throw new Error(`${service.name} did not become ready within ${readyTimeoutMs / 1000} s: ${waitingFor} (see ${service.logPath})`);
    announced ??= readAnnouncement(announceFile);
    if (announced) {
      const readyz = new URL("/readyz", String(announced["metricsUrl"]));
      const answer = await fetch(readyz, { signal: AbortSignal.timeout(1_000) }).then(
        async (res) => ({ ok: res.ok, text: `${res.status} ${(await res.text()).trim()}` }),
        (err: unknown) => ({ ok: false, text: String(err) }),
      );
      if (answer.ok) return announced;
      waitingFor = `${readyz} answered ${answer.text}`;
    }
    await sleep(50);
  }
}

/** The announcement, or undefined while the service has not written it (it is renamed into place whole). */
function readAnnouncement(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Starts NATS (unless given), a verifier, N workers and one or more schedulers on this machine. SIGINT or
 * SIGTERM while it starts stops whatever has started, then takes its usual course (the process
 * ends): an interrupted start leaves no service behind.
 */
export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  const interrupted = new AbortController();
  let signalled: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    signalled = signal;
    interrupted.abort(new Error(`the local cluster's start was interrupted by ${signal}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const services: ServiceProcess[] = [];
  const logs: WriteStream[] = [];
  let nats: LocalNatsServer | null = null;
  let undoCredentials: (() => void) | undefined;
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await Promise.all(services.map((s) => stopService(s.child)));
    for (const l of logs) l.end();
    await nats?.stop();
    undoCredentials?.();
  };
  try {
    mkdirSync(o.logDir, { recursive: true });
    const workerIds = Array.from({ length: o.workers }, (_, i) => `worker-${i + 1}`);
    const credentials = o.natsUrl === undefined ? makeLocalNatsCredentials(o.namespace, workerIds) : undefined;
    undoCredentials = credentials && (() => rmSync(credentials.dir, { recursive: true, force: true }));
    const natsUrl = o.natsUrl ?? (nats = await startLocalNatsServer({ users: credentials!.users })).url;
    const seed = (role: "scheduler" | "verifier" | "worker", id?: string): Record<string, string> =>
      credentials ? { TTC_NATS_NKEY_SEED_FILE: credentials.seedFile(role, id) } : {};
    const port = (offset: number) => String(o.metricsPort === 0 ? 0 : o.metricsPort + offset);
    // Services told to read their NATS URL from a file (which may hold credentials) get it only there.
    const base = { ...(o.env["TTC_NATS_URL_FILE"] ? {} : { TTC_NATS_URL: natsUrl }), TTC_NAMESPACE: o.namespace, ...o.env };
    const start = async (name: string, pkg: string, env: Record<string, string>) => {
      const log = createWriteStream(join(o.logDir, `${name}.log`), { flags: "a" });
      logs.push(log);
      const service = await spawnService(name, pkg, { ...base, ...env }, log, interrupted.signal);
      services.push(service);
      if (o.supervise)
        superviseService(service, {
          respawn: () => spawnService(name, pkg, { ...base, ...env }, log),
          replace: (next) =>
            services.splice(
              services.findIndex((s) => s.name === name),
              1,
              next,
            ),
          stopping: () => stopping,
          report: (message) => o.onRestart?.(message),
        });
    };
    const schedulers: ServiceProcess[] = [];
    const startScheduler = async (i: number) => {
      await start(i === 0 ? "scheduler" : `scheduler-${i + 1}`, "@ttc/scheduler", {
        ...seed("scheduler"),
        TTC_GRPC_HOST: o.grpcHost,
        TTC_GRPC_PORT: String(o.grpcPort === 0 ? 0 : o.grpcPort + i),
        TTC_METRICS_PORT: port(i === 0 ? 0 : 1 + o.workers + i),
        ...(o.httpPort === undefined ? {} : { TTC_HTTP_PORT: String(o.httpPort === 0 ? 0 : o.httpPort + i) }),
      });
      schedulers.push(services.at(-1)!);
    };
    // The first scheduler creates the task queue the workers wait for.
    await startScheduler(0);
    await start("verifier", "@ttc/verifier", { ...seed("verifier"), TTC_METRICS_PORT: port(1) });
    for (const [i, id] of workerIds.entries()) {
      await start(id, "@ttc/worker", {
        ...seed("worker", id),
        TTC_WORKER_ID: id,
        TTC_WORKER_CAPACITY: String(o.capacity),
        TTC_METRICS_PORT: port(2 + i),
      });
    }
    for (let i = 1; i < (o.schedulers ?? 1); i++) await startScheduler(i);
    interrupted.signal.throwIfAborted(); // a signal during the last readiness probe
    const grpcAddresses = schedulers.map((s) => String(s.ready["grpc"]));
    const openaiBaseUrls = schedulers.flatMap((s) => (s.ready["openaiBaseUrl"] === undefined ? [] : [String(s.ready["openaiBaseUrl"])]));
    return {
      natsUrl,
      ...(credentials ? { natsCredentials: credentials } : {}),
      grpcAddress: grpcAddresses[0]!,
      grpcAddresses,
      openaiBaseUrls,
      services,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    // Our handlers kept the signal from ending the process; now that everything is stopped, let it.
    if (signalled) process.kill(process.pid, signalled);
  }
}

/** SIGTERM (a drain), then SIGKILL if the service is still there after 20 s; resolves once it has exited. */
function stopService(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** How a supervised service is brought back. */
interface Supervision {
  respawn(): Promise<ServiceProcess>;
  /** Puts the new process where the old one was. */
  replace(next: ServiceProcess): void;
  stopping(): boolean;
  report(message: string): void;
}

const restartBackoffMs = { first: 1_000, max: 30_000, resetAfterUpMs: 60_000 };

/**
 * Restarts the service whenever it exits while the cluster is not stopping: after 1 s, doubling up
 * to 30 s while it keeps dying young, back to 1 s once it stayed up a minute.
 */
function superviseService(service: ServiceProcess, s: Supervision, delayMs = restartBackoffMs.first, upSince = Date.now()): void {
  service.child.once("exit", (code, signal) => {
    if (s.stopping()) return;
    const wait = Date.now() - upSince > restartBackoffMs.resetAfterUpMs ? restartBackoffMs.first : delayMs;
    s.report(`${service.name} exited (${signal ?? `code ${code}`}); restarting it in ${wait / 1000} s`);
    const retry = async (waitMs: number): Promise<void> => {
      await sleep(waitMs);
      if (s.stopping()) return;
      try {
        const next = await s.respawn();
        if (s.stopping()) return void next.child.kill("SIGTERM");
        s.replace(next);
        s.report(`${service.name} restarted (pid ${next.child.pid})`);
        superviseService(next, s, Math.min(waitMs * 2, restartBackoffMs.max), Date.now());
      } catch (err) {
        const again = Math.min(waitMs * 2, restartBackoffMs.max);
        s.report(`${service.name} did not restart: ${err instanceof Error ? err.message : String(err)}; trying again in ${again / 1000} s`);
        await retry(again);
      }
    };
    void retry(wait);
  });
}
