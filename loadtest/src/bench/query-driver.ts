/**
 * Sends queries through `@ttc/client` and records how each ended. Closed loop: `concurrency` callers
 * each send their next query when the last one answered; `concurrency` = `count` sends them all at
 * once. No retries: a refused query is a measurement, not something to hide.
 */
import { status, TtcError, type SolveRequestInit, type TtcClient } from "@ttc/client";

export interface QuerySample {
  /** Which query of the run (the driver's own counter). */
  index: number;
  /** The gRPC status name: "OK", "DEADLINE_EXCEEDED", … */
  code: string;
  /** Wall time of the call, as the client saw it. */
  seconds: number;
  /** The scheduler's own timing of an answered query (0 otherwise): until a worker picked up the first branch. */
  queuedSeconds: number;
  /** The scheduler's own timing: from accepting the query to sending the result. */
  schedulerSeconds: number;
}

export interface DriveOptions {
  count: number;
  concurrency: number;
  /** The i-th query of the run. */
  request(index: number): SolveRequestInit;
  /** The call's deadline. */
  timeoutMs: number;
}

/** Runs `count` queries against `client` and resolves with one sample per query, in the order they ended. */
export async function driveQueries(client: TtcClient, o: DriveOptions): Promise<QuerySample[]> {
  const samples: QuerySample[] = [];
  let next = 0;
  const caller = async () => {
    while (next < o.count) {
      const index = next++;
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      try {
        const r = await client.solve(o.request(index), { timeoutMs: o.timeoutMs, retry: { maxAttempts: 1 } });
        const t = r.timing!;
        samples.push({ index, code: "OK", seconds: seconds(), queuedSeconds: t.queuedSeconds, schedulerSeconds: t.totalSeconds });
      } catch (err) {
        const code = err instanceof TtcError ? (status[err.code] ?? String(err.code)) : "UNKNOWN";
        samples.push({ index, code, seconds: seconds(), queuedSeconds: 0, schedulerSeconds: 0 });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, o.count) }, caller));
  return samples;
}

/** How many samples ended with each status. */
export function countByCode(samples: readonly QuerySample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of samples) counts[s.code] = (counts[s.code] ?? 0) + 1;
  return counts;
}
