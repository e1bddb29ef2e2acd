/**
 * Times cancels from the outside: a NATS subscriber on a cluster's cancel and trace subjects notes
 * when a cancel or prune went by and when each branch it stopped sent its final CANCELLED chunk. Only
 * branches that were running when the cancel went by count (started, no final chunk yet); one that
 * finished on its own in the meantime raced the cancel and is counted apart.
 *
 * The subscriber hears the cancel when the workers do (one hop from the scheduler through the
 * server), and the final chunk one hop after the worker sent it: the figure is cancel → worker
 * stopped → confirmed, with the worker's own view (`cancel_to_stop_seconds` in the chunk) alongside.
 */
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { CancelBranches, ChunkKind, TraceChunk } from "@ttc/proto";
import { connectNats, wireNames } from "@ttc/common";

export interface StopTimings {
  /** Cancel seen → the branch's CANCELLED chunk seen, seconds, one per stopped branch. */
  observedSeconds: number[];
  /** What the workers reported: cancel received → generation stopped, seconds. */
  workerSeconds: number[];
  /** Branches that ended on their own after a cancel for them went by. */
  raced: number;
  cancels: number;
}

export interface StopWatch {
  /** Forgets what was measured so far (after a warm-up). */
  reset(): void;
  timings(): StopTimings;
  stop(): Promise<void>;
}

interface BranchWatch {
  /** When a cancel for this running branch went by (ms, performance clock); null while none did. */
  cancelAt: number | null;
}

/** Watches the cancels of `namespace` and the trace chunks of scheduler `schedulerId`'s queries. */
export async function startStopWatch(natsUrl: string, namespace: string, schedulerId: string): Promise<StopWatch> {
  const names = wireNames(namespace);
  const nc: NatsConnection = await connectNats(natsUrl, "ttc-bench-stop-watch");
  /** Running branches by query, then branch index. */
  const running = new Map<string, Map<number, BranchWatch>>();
  let timings: StopTimings = { observedSeconds: [], workerSeconds: [], raced: 0, cancels: 0 };
  const subs: Subscription[] = [
    nc.subscribe(names.cancelWildcard, {
      callback: (err, msg) => {
        if (err) return;
        const at = performance.now();
        const cancel = CancelBranches.decode(msg.data);
        timings.cancels++;
        const branches = running.get(cancel.queryId);
        if (!branches) return;
        const targets = cancel.branchIndexes.length > 0 ? cancel.branchIndexes : [...branches.keys()];
        for (const index of targets) {
          const branch = branches.get(index);
          if (branch) branch.cancelAt ??= at;
        }
      },
    }),
    nc.subscribe(names.traceWildcard(schedulerId), {
      callback: (err, msg) => {
        if (err) return;
        const at = performance.now();
        const chunk = TraceChunk.decode(msg.data);
        if (chunk.kind === ChunkKind.CHUNK_KIND_STARTED) {
          let branches = running.get(chunk.queryId);
          if (!branches) running.set(chunk.queryId, (branches = new Map()));
          branches.set(chunk.branchIndex, { cancelAt: null });
          return;
        }
        if (chunk.kind === ChunkKind.CHUNK_KIND_PROGRESS) return;
        const branches = running.get(chunk.queryId);
        const branch = branches?.get(chunk.branchIndex);
        if (!branches || !branch) return;
        branches.delete(chunk.branchIndex);
        if (branches.size === 0) running.delete(chunk.queryId);
        if (branch.cancelAt === null) return;
        if (chunk.kind === ChunkKind.CHUNK_KIND_CANCELLED) {
          timings.observedSeconds.push((at - branch.cancelAt) / 1000);
          timings.workerSeconds.push(chunk.cancelToStopSeconds);
        } else timings.raced++;
      },
    }),
  ];
  await nc.flush();
  return {
    reset() {
      timings = { observedSeconds: [], workerSeconds: [], raced: 0, cancels: 0 };
    },
    timings: () => timings,
    async stop() {
      for (const s of subs) s.unsubscribe();
      await nc.drain();
    },
  };
}
