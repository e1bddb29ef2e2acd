/**
 * A ttc cluster of real processes for one benchmark run, started by `@ttc/test-harness` (its own
 * nats-server, verifier, workers and scheduler), with what the benchmarks read from outside: each
 * scheduler's pid (CPU time), gRPC address and metrics URL. More schedulers can join the same
 * namespace and fleet.
 */
import { createWriteStream, mkdtempSync, type WriteStream } from "node:fs";
import { setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { spawnService, type ServiceProcess } from "@ttc/cli";
import { startTestCluster, type TestCluster } from "@ttc/test-harness";

export interface SchedulerProcess {
  pid: number;
  grpcAddress: string;
  metricsUrl: string;
}

export interface BenchCluster {
  harness: TestCluster;
  /** The harness's scheduler first, then any added ones. */
  schedulers: SchedulerProcess[];
  /** Starts another scheduler on the same NATS namespace (so it shares the task queue and the workers). */
  addScheduler(): Promise<SchedulerProcess>;
  /**
   * Lowers the CPU priority (nice 10) of the workers, the verifier and this process (the load
   * generator), leaving the schedulers and nats-server as they are: on a machine with fewer cores than
   * processes, a scheduler then gets a core when it has work, as it would on its own node. Processes
   * started afterwards by this process inherit it. Returns what it could not do (empty when done).
   */
  deprioritiseFleet(): string[];
  stop(): Promise<void>;
}

/** The niceness `deprioritiseFleet` gives the fleet and the load generator. */
const fleetNice = 10;

export interface BenchClusterOptions {
  /** Sim workers; 0 for a scheduler whose tasks the benchmark answers itself. */
  workers: number;
  capacity: number;
  /** Settings for every service (scheduler limits, sim speed…), over the harness's. */
  env: Record<string, string>;
  /** Restart services that exit, as `ttc up` does (the fault benchmark kills them). */
  supervise?: boolean;
}

export async function startBenchCluster(o: BenchClusterOptions): Promise<BenchCluster> {
  const harness = await startTestCluster({
    workers: o.workers,
    capacity: o.capacity,
    env: o.env,
    ...(o.supervise ? { supervise: true } : {}),
  });
  const first = harness.cluster.services.find((s) => s.name === "scheduler")!;
  const schedulers = [schedulerOf(first)];
  const added: ServiceProcess[] = [];
  const logDir = mkdtempSync(join(tmpdir(), "ttc-bench-logs-"));
  const logs: WriteStream[] = [];
  return {
    harness,
    schedulers,
    async addScheduler() {
      const name = `scheduler-${schedulers.length + 1}`;
      const log = createWriteStream(join(logDir, `${name}.log`), { flags: "a" });
      logs.push(log);
      const service = await spawnService(
        name,
        "@ttc/scheduler",
        {
          // What the harness gives every service, so the added scheduler sees workers the same way.
          TTC_LOG_LEVEL: "info",
          TTC_HEARTBEAT_MS: "200",
          TTC_WORKER_LIVENESS_MS: "1000",
          ...o.env,
          TTC_NATS_URL: harness.cluster.natsUrl,
          TTC_NAMESPACE: harness.namespace,
          TTC_GRPC_HOST: "127.0.0.1",
          TTC_GRPC_PORT: "0",
          TTC_METRICS_PORT: "0",
        },
        log,
      );
      added.push(service);
      const scheduler = schedulerOf(service);
      schedulers.push(scheduler);
      return scheduler;
    },
    deprioritiseFleet() {
      const problems: string[] = [];
      const fleet = harness.cluster.services.filter((s) => !s.name.startsWith("scheduler"));
      for (const [name, pid] of [...fleet.map((s) => [s.name, s.child.pid] as const), ["load generator", process.pid] as const]) {
        try {
          if (pid !== undefined) setPriority(pid, fleetNice);
        } catch (err) {
          problems.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      return problems;
    },
    async stop() {
      await Promise.all(added.map(stopProcess));
      for (const log of logs) log.end();
      await harness.stop();
    },
  };
}

function schedulerOf(service: ServiceProcess): SchedulerProcess {
  return { pid: service.child.pid!, grpcAddress: String(service.ready["grpc"]), metricsUrl: String(service.ready["metricsUrl"]) };
}

/** SIGTERM (the scheduler drains), then waits for it to exit. */
function stopProcess(service: ServiceProcess): Promise<void> {
  const child = service.child;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
