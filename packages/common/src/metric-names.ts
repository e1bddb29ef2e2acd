/**
 * Every Prometheus metric name ttc exports, defined once. Base units (seconds, tokens), `ttc_` prefix,
 * and labels only from fixed sets: never a query id.
 */
export const metricNames = {
  scheduler: {
    queries: "ttc_scheduler_queries_total",
    queryDuration: "ttc_scheduler_query_duration_seconds",
    queryGeneratedTokens: "ttc_scheduler_query_generated_tokens",
    queryWastedTokens: "ttc_scheduler_query_wasted_tokens",
    queryBranchesLaunched: "ttc_scheduler_query_branches_launched",
    queryBranchesPruned: "ttc_scheduler_query_branches_pruned",
    queriesInFlight: "ttc_scheduler_queries_in_flight",
    generatedTokens: "ttc_scheduler_generated_tokens_total",
    wastedTokens: "ttc_scheduler_wasted_tokens_total",
    cachedPromptTokens: "ttc_scheduler_cached_prompt_tokens_total",
    verifierCalls: "ttc_scheduler_verifier_calls_total",
    verifierErrors: "ttc_scheduler_verifier_errors_total",
    malformedMessages: "ttc_scheduler_malformed_messages_total",
    liveWorkers: "ttc_scheduler_live_workers",
    stopToAckSeconds: "ttc_scheduler_cancel_to_ack_seconds",
    taskPublishesInFlight: "ttc_scheduler_task_publishes_in_flight",
    taskPublishesWaiting: "ttc_scheduler_task_publishes_waiting",
    taskPublishRetries: "ttc_scheduler_task_publish_retries_total",
  },
  worker: {
    generatedTokens: "ttc_worker_generated_tokens_total",
    cachedPromptTokens: "ttc_worker_cached_prompt_tokens_total",
    engineReady: "ttc_worker_engine_ready",
    activeBranches: "ttc_worker_active_branches",
    capacityBranches: "ttc_worker_capacity_branches",
    branches: "ttc_worker_branches_total",
    cancelsObeyed: "ttc_worker_cancels_obeyed_total",
    cancelToStop: "ttc_worker_cancel_to_stop_seconds",
    tokensAfterCancel: "ttc_worker_tokens_after_cancel",
    tasksDropped: "ttc_worker_tasks_dropped_total",
    malformedMessages: "ttc_worker_malformed_messages_total",
  },
  verifier: {
    requests: "ttc_verifier_requests_total",
    duration: "ttc_verifier_request_duration_seconds",
    malformedMessages: "ttc_verifier_malformed_messages_total",
  },
} as const;
