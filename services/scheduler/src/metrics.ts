import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { metricNames } from "@ttc/common";

const names = metricNames.scheduler;
const tokenBuckets = [0, 64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576];
const branchBuckets = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256];

/** What the publish gauges read. */
interface PublishLoad {
  readonly inFlight: number;
  readonly waiting: number;
}

/** The scheduler's metrics, on one registry per process. Per-query values are histograms, never labels. */
export function createSchedulerMetrics() {
  const registry = new Registry();
  const registers = [registry];
  // Read at each scrape: the counts change with every publish, and setting gauges there would cost
  // more than the publish.
  let publisher: PublishLoad | undefined;
  let fairShare: { held: number; holding: number } | undefined;
  return {
    registry,
    queries: new Counter({
      name: names.queries,
      help: "Queries ended, by outcome (answered, no_answer, cancelled, deadline_exceeded, invalid_argument, unavailable, resource_exhausted, internal).",
      labelNames: ["outcome"] as const,
      registers,
    }),
    queryDuration: new Histogram({
      name: names.queryDuration,
      help: "Seconds from accepting a query to answering it.",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    queryGeneratedTokens: new Histogram({
      name: names.queryGeneratedTokens,
      help: "Tokens generated per query, all branches.",
      buckets: tokenBuckets,
      registers,
    }),
    queryWastedTokens: new Histogram({
      name: names.queryWastedTokens,
      help: "Tokens per query spent on branches that were pruned, cancelled, failed or lost with a worker.",
      buckets: tokenBuckets,
      registers,
    }),
    queryBranchesLaunched: new Histogram({
      name: names.queryBranchesLaunched,
      help: "Branches launched per query.",
      buckets: branchBuckets,
      registers,
    }),
    queryBranchesPruned: new Histogram({
      name: names.queryBranchesPruned,
      help: "Branches pruned per query.",
      buckets: branchBuckets,
      registers,
    }),
    queriesInFlight: new Gauge({ name: names.queriesInFlight, help: "Queries running now.", registers }),
    queryRecordErrors: new Counter({
      name: names.queryRecordErrors,
      help: "Query-record pages that could not be written (the query went on; its record misses those entries).",
      registers,
    }),
    httpRequests: new Counter({
      name: names.httpRequests,
      help: "Requests to the OpenAI-compatible HTTP API, by endpoint (chat, completions, models, other) and HTTP status.",
      labelNames: ["endpoint", "status"] as const,
      registers,
    }),
    queryStops: new Counter({
      name: names.queryStops,
      help: "Queries that ran to a result, by policy, why they stopped (consensus, all_branches_done, token_budget, deadline, cancelled, draining, tenant_budget) and answer format: fixed label sets a dashboard can split by.",
      labelNames: ["policy", "stop_reason", "answer_format"] as const,
      registers,
    }),
    queryQueueWait: new Histogram({
      name: names.queryQueueWait,
      help: "Seconds from accepting a query to a worker picking up its first branch (queries a worker picked up).",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    queryFirstToken: new Histogram({
      name: names.queryFirstToken,
      help: "Seconds from accepting a query to its first generated tokens (queries that generated any).",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    tenantQueriesInFlight: new Gauge({
      name: names.tenantQueriesInFlight,
      help: "Queries admitted and not ended, by tenant: the tenants of TTC_TENANTS_FILE, every other caller as other.",
      labelNames: ["tenant"] as const,
      registers,
    }),
    tenantGeneratedTokens: new Counter({
      name: names.tenantGeneratedTokens,
      help: "Tokens generated for each tenant's queries, charged as they stream: the tenants of TTC_TENANTS_FILE, every other caller as other.",
      labelNames: ["tenant"] as const,
      registers,
    }),
    dispatchesHeld: new Gauge({
      name: names.dispatchesHeld,
      help: "Branch tasks held back until the worker fleet has room (fair sharing between tenants).",
      registers,
      collect() {
        this.set(fairShare?.held ?? 0);
      },
    }),
    branchesHoldingSlots: new Gauge({
      name: names.branchesHoldingSlots,
      help: "Branches this scheduler sent to the work queue whose final chunk has not come: the fleet slots it counts as taken.",
      registers,
      collect() {
        this.set(fairShare?.holding ?? 0);
      },
    }),
    /** The fair share whose held and holding counts the gauges report. */
    observeFairShare(f: { held: number; holding: number }): void {
      fairShare = f;
    },
    generatedTokens: new Counter({ name: names.generatedTokens, help: "Tokens generated for this scheduler's queries.", registers }),
    cachedPromptTokens: new Counter({
      name: names.cachedPromptTokens,
      help: "Prompt tokens the engines served from their prefix caches.",
      registers,
    }),
    wastedTokens: new Counter({
      name: names.wastedTokens,
      help: "Generated tokens of pruned, cancelled, failed or lost branches.",
      registers,
    }),
    verifierCalls: new Counter({ name: names.verifierCalls, help: "Verifier calls made.", labelNames: ["verifier"] as const, registers }),
    verifierErrors: new Counter({
      name: names.verifierErrors,
      help: "Verifier calls that failed or timed out (the trace counts as unscored).",
      labelNames: ["verifier"] as const,
      registers,
    }),
    malformedMessages: new Counter({
      name: names.malformedMessages,
      help: "NATS messages that failed to decode and were dropped, by kind.",
      labelNames: ["kind"] as const,
      registers,
    }),
    retriedRequests: new Counter({
      name: names.retriedRequests,
      help: "Calls whose request_id named a request seen before, by what they got: answered (the stored result), joined (a query still running), resumed (run again, reusing its finished branches), conflict (a different request with the same id).",
      labelNames: ["outcome"] as const,
      registers,
    }),
    reusedBranches: new Counter({
      name: names.reusedBranches,
      help: "Finished branches a resumed request took from its earlier run's record instead of generating again.",
      registers,
    }),
    requestRecordErrors: new Counter({
      name: names.requestRecordErrors,
      help: "Reads and writes of request records that failed (the query ran on; a retry may then run it again).",
      labelNames: ["op"] as const,
      registers,
    }),
    unauthenticatedChunks: new Counter({
      name: names.unauthenticatedChunks,
      help: "Trace chunks dropped because they did not carry the chunk key of their branch's task (forged, or from a task this scheduler did not send).",
      registers,
    }),
    taskPublishesInFlight: new Gauge({
      name: names.taskPublishesInFlight,
      help: "Branch-task publishes awaiting their JetStream ack.",
      registers,
      collect() {
        this.set(publisher?.inFlight ?? 0);
      },
    }),
    taskPublishesWaiting: new Gauge({
      name: names.taskPublishesWaiting,
      help: "Branch-task publishes waiting for a free publish slot (flow control).",
      registers,
      collect() {
        this.set(publisher?.waiting ?? 0);
      },
    }),
    /** The task publisher whose load the publish gauges report. */
    observePublisher(p: PublishLoad): void {
      publisher = p;
    },
    taskPublishRetries: new Counter({
      name: names.taskPublishRetries,
      help: "Branch-task publishes the stream did not ack in time, tried again.",
      registers,
    }),
    taskQueuePending: new Gauge({
      name: names.taskQueuePending,
      help: "Branch tasks in the stream waiting for a worker (the workers' consumer's pending count), sampled every second.",
      registers,
    }),
    taskQueueAckPending: new Gauge({
      name: names.taskQueueAckPending,
      help: "Branch tasks delivered to a worker and not yet finished (ack pending), sampled every second.",
      registers,
    }),
    liveWorkers: new Gauge({ name: names.liveWorkers, help: "Workers whose heartbeats arrived recently.", registers }),
    cancelToAck: new Histogram({
      name: names.stopToAckSeconds,
      help: "Seconds from publishing a cancel or prune to the worker's final chunk for that branch.",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
  };
}

export type SchedulerMetrics = ReturnType<typeof createSchedulerMetrics>;
