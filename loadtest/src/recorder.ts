/**
 * What happened to every query, and the live view of the run for the progress line. Every query the
 * runner sends ends here exactly once: answered, failed with a gRPC status, or cancelled as no reply.
 */
import { quantile } from "@ttc/stats";

/** The outcome of a query that answered. */
export const OK = "OK";
/** The outcome of a query still outstanding when the grace period after the last arrival ended: cancelled by the runner. */
export const NO_REPLY = "NO_REPLY";

/** One query, from its scheduled send to its outcome. Times are seconds from the start of the run. */
export interface QueryRecord {
  index: number;
  /** The request template it came from. */
  template: string;
  /** The template's tenant (reserved: not sent). */
  tenant?: string;
  /** When the arrival schedule (or a closed-loop caller) meant to send it. */
  scheduledSeconds: number;
  /** When the call started; later than scheduled when the generator fell behind. */
  sentSeconds: number;
  endedSeconds: number;
  /** From scheduled send to outcome, so a generator that falls behind cannot hide queueing delay (no coordinated omission). */
  latencySeconds: number;
  /** `OK`, a gRPC status name (`DEADLINE_EXCEEDED`, …) or `NO_REPLY`. */
  outcome: string;
  /** The error's details when it failed. */
  detail?: string;
  /** Present when it answered: what the scheduler reported. */
  result?: QueryResultFacts;
}

/** The facts of an answered query the reports use. */
export interface QueryResultFacts {
  answered: boolean;
  /** The consensus answer ("" when there was none). */
  answer: string;
  generatedTokens: number;
  wastedTokens: number;
  branchesLaunched: number;
  branchesPruned: number;
  verifierCalls: number;
  stopReason: string;
  /** Until a worker picked up the first branch (the scheduler's `timing.queued_seconds`): the task queue's lag as this query saw it. */
  queuedSeconds: number;
}

/** The run so far, for the progress line. */
export interface Progress {
  elapsedSeconds: number;
  /** Queries the run will send in all, when known in advance. */
  planned: number | undefined;
  sent: number;
  inFlight: number;
  /** Ended queries by outcome. */
  outcomes: Record<string, number>;
  /** Latency quantiles of the queries answered in the last `recentSeconds`. */
  recent: { answered: number; p50: number; p99: number };
}

/** How far back the progress line's latency and answered rate look. */
export const recentSeconds = 5;

/** Collects query records as they end and answers for the run so far. */
export class Recorder {
  readonly records: QueryRecord[] = [];
  #sent = 0;
  readonly #outcomes: Record<string, number> = {};

  constructor(private readonly planned: number | undefined) {}

  /** A query was sent. */
  sent(): void {
    this.#sent++;
  }

  /** A query ended. */
  ended(record: QueryRecord): void {
    this.records.push(record);
    this.#outcomes[record.outcome] = (this.#outcomes[record.outcome] ?? 0) + 1;
  }

  snapshot(elapsedSeconds: number): Progress {
    const recent: number[] = [];
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i]!;
      if (r.endedSeconds < elapsedSeconds - recentSeconds) break;
      if (r.outcome === OK) recent.push(r.latencySeconds);
    }
    return {
      elapsedSeconds,
      planned: this.planned,
      sent: this.#sent,
      inFlight: this.#sent - this.records.length,
      outcomes: { ...this.#outcomes },
      recent: { answered: recent.length, p50: quantile(recent, 0.5), p99: quantile(recent, 0.99) },
    };
  }
}
