import { answerFormatNames, defaultSchedulerPort } from "@ttc/proto";
import { hostname } from "node:os";
import { z } from "zod";
import {
  commonEnv,
  commonSecrets,
  withSecretFiles,
  drainEnv,
  intVar,
  parseConfig,
  serviceSettings,
  taskQueueEnv,
  taskQueueOptions,
  type Env,
} from "@ttc/common";
import { defaultExecutionMode, defaultPolicyName, executionModes, policyNames, verifierNames } from "@ttc/policy";

/**
 * Defaults of the scheduler's ports, written only here (the gRPC port in `@ttc/proto`, which callers
 * share): the schema below reads them, and `ttc up` offers them as its `--grpc-port` and `--metrics-port`.
 */
export const schedulerDefaults = Object.freeze({ grpcPort: defaultSchedulerPort, metricsPort: 9101, httpPort: 8080 });

/** Every scheduler setting, read from the environment once at start-up. */
const schedulerEnv = z.object({
  ...commonEnv,
  TTC_SCHEDULER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
  TTC_GRPC_HOST: z.string().default("127.0.0.1"),
  TTC_GRPC_PORT: intVar(schedulerDefaults.grpcPort, 0, 65535),
  /**
   * The OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, /v1/models) on this port
   * (0: any free port), on TTC_GRPC_HOST with gRPC's TLS, tokens and tenants. Unset: not served.
   */
  TTC_HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** TLS for gRPC: the server's certificate chain and key (PEM files, re-read when they change). */
  TTC_GRPC_TLS_CERT: z.string().min(1).optional(),
  TTC_GRPC_TLS_KEY: z.string().min(1).optional(),
  /** Mutual TLS: callers must present a certificate signed by this CA (PEM file). */
  TTC_GRPC_TLS_CLIENT_CA: z.string().min(1).optional(),
  /** Bearer tokens: a file of `TENANT TOKEN` lines (re-read when it changes); a call without a known token is UNAUTHENTICATED. */
  TTC_GRPC_TOKENS_FILE: z.string().min(1).optional(),
  /** JWTs signed HS256 with this shared secret (TTC_GRPC_JWT_SECRET_FILE: from a file). */
  TTC_GRPC_JWT_SECRET: z.string().min(32, "use at least 32 characters").optional(),
  /** JWTs signed RS256/ES256 by a key of this JWKS file. */
  TTC_GRPC_JWKS_FILE: z.string().min(1).optional(),
  /** Server reflection: `public` (anyone, like health) or `off` (the API's shape is not advertised). */
  TTC_GRPC_REFLECTION: z.enum(["public", "off"]).default("public"),
  /** Per-tenant limits (JSON; see tenants.ts); its tenants are the per-tenant metric's labels. */
  TTC_TENANTS_FILE: z.string().min(1).optional(),
  /** The audience (`aud`) a JWT must name; required with JWTs. */
  TTC_GRPC_JWT_AUDIENCE: z.string().min(1).optional(),
  /** The issuer (`iss`) a JWT must name, when set. */
  TTC_GRPC_JWT_ISSUER: z.string().min(1).optional(),
  TTC_METRICS_PORT: intVar(schedulerDefaults.metricsPort, 0, 65535),
  /** Defaults applied when a request leaves a field at 0 / empty. */
  TTC_DEFAULT_BRANCHES: intVar(16, 1, 100_000),
  TTC_DEFAULT_PARALLELISM: intVar(4, 1, 100_000),
  TTC_DEFAULT_MAX_TOKENS: intVar(2048, 1, 10_000_000),
  TTC_DEFAULT_POLICY: z.string().default(defaultPolicyName),
  TTC_DEFAULT_VERIFIER: z.string().default("arith"),
  TTC_DEFAULT_ANSWER_FORMAT: z.enum(answerFormatNames).default("text"),
  TTC_DEFAULT_DEADLINE_MS: intVar(120_000, 100, 86_400_000),
  TTC_DEFAULT_MODE: z.enum(executionModes).default(defaultExecutionMode),
  /** Limits: requests above them get INVALID_ARGUMENT. */
  TTC_MAX_BRANCHES: intVar(256, 1, 100_000),
  TTC_MAX_TOKENS_PER_BRANCH: intVar(32_768, 1, 10_000_000),
  TTC_MAX_TOKEN_BUDGET: intVar(2_000_000, 1, 1_000_000_000),
  TTC_MAX_PROMPT_BYTES: intVar(65_536, 1, 16_777_216),
  TTC_MAX_DEADLINE_MS: intVar(3_600_000, 100, 86_400_000),
  /** Queries run at once; more get RESOURCE_EXHAUSTED. */
  TTC_MAX_CONCURRENT_QUERIES: intVar(256, 1, 100_000),
  /**
   * Sibling branches placed on one worker together (a gang) so an engine with prefix caching prefills
   * the prompt once; 1 spreads every branch on its own for the most parallel decode.
   */
  TTC_GANG_SIZE: intVar(1, 1, 256),
  /**
   * Task publishes awaiting their JetStream ack at once, across all queries (more wait in order): a
   * burst of queries must not time out its own acks. A publish not acked in time is retried with
   * backoff up to the query's deadline, never counted as a failed branch.
   */
  TTC_TASK_PUBLISH_MAX_IN_FLIGHT: intVar(256, 1, 100_000),
  /**
   * Branch tasks let into the work queue beyond what the live fleet can run, in percent of its slots;
   * the rest wait in the scheduler and go out least-served tenant first (fair sharing by tokens).
   */
  TTC_DISPATCH_BACKLOG_PERCENT: intVar(25, 0, 100_000),
  /** Workers send progress at least every this many tokens. */
  TTC_CHUNK_TOKENS: intVar(32, 1, 100_000),
  /** After stopping branches, how long to wait for their final token counts before answering. */
  TTC_CANCEL_SETTLE_MS: intVar(100, 0, 10_000),
  /** Verifier calls: over NATS to the verifier service (`remote`) or in this process (`inline`). */
  TTC_VERIFIER_MODE: z.enum(["remote", "inline"]).default("remote"),
  /** How long an engine verifier's call (prm, judge) may take. */
  TTC_VERIFIER_TIMEOUT_MS: intVar(30_000, 10, 600_000),
  /** How long a pure verifier's call may take before one retry and then judging it in the scheduler. */
  TTC_VERIFIER_CALL_TIMEOUT_MS: intVar(500, 10, 600_000),
  /** How often the scheduler tells workers it is alive (they stop its branches after two silent intervals). */
  TTC_HEARTBEAT_MS: intVar(1000, 50, 60_000),
  /** A worker is live while its heartbeats arrive within this window. */
  TTC_WORKER_LIVENESS_MS: intVar(3_000, 100, 600_000),
  /** How long the record of a request with a request_id is kept: a retry within it is answered, joined or resumed. */
  TTC_REQUEST_RECORD_TTL_MS: intVar(600_000, 10_000, 86_400_000),
  /**
   * How long a query with a request_id keeps running after its last caller left (a dropped
   * connection looks the same as a cancel): a retry within it joins the query instead of starting over.
   */
  TTC_REQUEST_ATTACH_GRACE_MS: intVar(5_000, 0, 600_000),
  /** Record every query (GetQuery, WatchQuery, `ttc show`, `ttc replay`) in the query-record stream. */
  TTC_QUERY_RECORDS: z.enum(["on", "off"]).default("on"),
  /** How long a query's record is kept. */
  TTC_QUERY_RECORD_TTL_MS: intVar(86_400_000, 60_000, 31_536_000_000),
  /** The query-record stream's size bound (bytes): past it the oldest records go first. */
  TTC_QUERY_RECORD_MAX_BYTES: intVar(268_435_456, 1_048_576, 1_099_511_627_776),
  /** Characters of each branch's trace a record keeps (its beginning and its end, where the answer is). */
  TTC_QUERY_RECORD_TRACE_CHARS: intVar(4_000, 0, 1_000_000),
  /** `keep` the prompt and system prompt in records, or `redact` them (the rest of the record is kept). */
  TTC_QUERY_RECORD_PROMPTS: z.enum(["keep", "redact"]).default("keep"),
  /** How often a running query's new record entries are written: a scheduler crash loses at most this much. */
  TTC_QUERY_RECORD_FLUSH_MS: intVar(500, 10, 60_000),
  ...drainEnv,
  ...taskQueueEnv,
});

export type SchedulerConfig = ReturnType<typeof loadSchedulerConfig>;

/** Defaults must be requests the limits accept, or every request that relies on them would be refused. */
const consistentEnv = schedulerEnv.superRefine((c, ctx) => {
  const problem = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if (c.TTC_DEFAULT_BRANCHES > c.TTC_MAX_BRANCHES)
    problem("TTC_DEFAULT_BRANCHES", `must not exceed TTC_MAX_BRANCHES (${c.TTC_MAX_BRANCHES})`);
  if (c.TTC_DEFAULT_MAX_TOKENS > c.TTC_MAX_TOKENS_PER_BRANCH)
    problem("TTC_DEFAULT_MAX_TOKENS", `must not exceed TTC_MAX_TOKENS_PER_BRANCH (${c.TTC_MAX_TOKENS_PER_BRANCH})`);
  if (c.TTC_DEFAULT_DEADLINE_MS > c.TTC_MAX_DEADLINE_MS)
    problem("TTC_DEFAULT_DEADLINE_MS", `must not exceed TTC_MAX_DEADLINE_MS (${c.TTC_MAX_DEADLINE_MS})`);
  if (!(policyNames as readonly string[]).includes(c.TTC_DEFAULT_POLICY))
    problem("TTC_DEFAULT_POLICY", `unknown policy; known: ${policyNames.join(", ")}`);
  if (!(verifierNames as readonly string[]).includes(c.TTC_DEFAULT_VERIFIER))
    problem("TTC_DEFAULT_VERIFIER", `unknown verifier; known: ${verifierNames.join(", ")}`);
  if (Boolean(c.TTC_GRPC_TLS_CERT) !== Boolean(c.TTC_GRPC_TLS_KEY))
    problem(c.TTC_GRPC_TLS_CERT ? "TTC_GRPC_TLS_KEY" : "TTC_GRPC_TLS_CERT", "TLS needs both TTC_GRPC_TLS_CERT and TTC_GRPC_TLS_KEY");
  if (c.TTC_GRPC_TLS_CLIENT_CA && !c.TTC_GRPC_TLS_CERT)
    problem("TTC_GRPC_TLS_CLIENT_CA", "mutual TLS needs TLS: set TTC_GRPC_TLS_CERT and TTC_GRPC_TLS_KEY");
  // A bearer token on a plaintext connection is a secret sent in the clear.
  if (c.TTC_GRPC_TOKENS_FILE && !c.TTC_GRPC_TLS_CERT)
    problem("TTC_GRPC_TOKENS_FILE", "bearer tokens need TLS: set TTC_GRPC_TLS_CERT and TTC_GRPC_TLS_KEY");
});

/** The scheduler's settings from an environment-style record. Throws ConfigError listing every problem. */
export function loadSchedulerConfig(env: Env) {
  const raw = parseConfig(consistentEnv, withSecretFiles(env, [...commonSecrets, "TTC_GRPC_JWT_SECRET"]));
  return {
    ...serviceSettings(raw),
    schedulerId: raw.TTC_SCHEDULER_ID ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, "-")}-${process.pid}`,
    grpcHost: raw.TTC_GRPC_HOST,
    grpcPort: raw.TTC_GRPC_PORT,
    httpPort: raw.TTC_HTTP_PORT,
    tls:
      raw.TTC_GRPC_TLS_CERT && raw.TTC_GRPC_TLS_KEY
        ? { certFile: raw.TTC_GRPC_TLS_CERT, keyFile: raw.TTC_GRPC_TLS_KEY, clientCaFile: raw.TTC_GRPC_TLS_CLIENT_CA }
        : undefined,
    tokensFile: raw.TTC_GRPC_TOKENS_FILE,
    reflection: raw.TTC_GRPC_REFLECTION,
    tenantsFile: raw.TTC_TENANTS_FILE,
    jwt:
      (raw.TTC_GRPC_JWT_SECRET || raw.TTC_GRPC_JWKS_FILE) && raw.TTC_GRPC_JWT_AUDIENCE
        ? {
            secret: raw.TTC_GRPC_JWT_SECRET ? Buffer.from(raw.TTC_GRPC_JWT_SECRET) : undefined,
            jwksFile: raw.TTC_GRPC_JWKS_FILE,
            audience: raw.TTC_GRPC_JWT_AUDIENCE,
            issuer: raw.TTC_GRPC_JWT_ISSUER,
            leewaySeconds: 30,
          }
        : undefined,
    defaults: {
      branches: raw.TTC_DEFAULT_BRANCHES,
      parallelism: raw.TTC_DEFAULT_PARALLELISM,
      maxTokens: raw.TTC_DEFAULT_MAX_TOKENS,
      policy: raw.TTC_DEFAULT_POLICY,
      verifier: raw.TTC_DEFAULT_VERIFIER,
      answerFormat: raw.TTC_DEFAULT_ANSWER_FORMAT,
      deadlineMs: raw.TTC_DEFAULT_DEADLINE_MS,
      mode: raw.TTC_DEFAULT_MODE,
    },
    limits: {
      maxBranches: raw.TTC_MAX_BRANCHES,
      maxTokensPerBranch: raw.TTC_MAX_TOKENS_PER_BRANCH,
      maxTokenBudget: raw.TTC_MAX_TOKEN_BUDGET,
      maxPromptBytes: raw.TTC_MAX_PROMPT_BYTES,
      maxDeadlineMs: raw.TTC_MAX_DEADLINE_MS,
      maxConcurrentQueries: raw.TTC_MAX_CONCURRENT_QUERIES,
    },
    chunkTokens: raw.TTC_CHUNK_TOKENS,
    taskPublishing: { maxInFlight: raw.TTC_TASK_PUBLISH_MAX_IN_FLIGHT, ackTimeoutMs: 5_000, firstRetryDelayMs: 50, maxRetryDelayMs: 2_000 },
    gangSize: raw.TTC_GANG_SIZE,
    dispatchBacklog: raw.TTC_DISPATCH_BACKLOG_PERCENT / 100,
    cancelSettleMs: raw.TTC_CANCEL_SETTLE_MS,
    verifierMode: raw.TTC_VERIFIER_MODE,
    verifierTimeoutMs: raw.TTC_VERIFIER_TIMEOUT_MS,
    verifierCallTimeoutMs: raw.TTC_VERIFIER_CALL_TIMEOUT_MS,
    workerLivenessMs: raw.TTC_WORKER_LIVENESS_MS,
    heartbeatMs: raw.TTC_HEARTBEAT_MS,
    drainGraceMs: raw.TTC_DRAIN_GRACE_MS,
    requestRecordTtlMs: raw.TTC_REQUEST_RECORD_TTL_MS,
    requestAttachGraceMs: raw.TTC_REQUEST_ATTACH_GRACE_MS,
    queryRecords:
      raw.TTC_QUERY_RECORDS === "on"
        ? {
            ttlMs: raw.TTC_QUERY_RECORD_TTL_MS,
            maxBytes: raw.TTC_QUERY_RECORD_MAX_BYTES,
            flushMs: raw.TTC_QUERY_RECORD_FLUSH_MS,
            traceChars: raw.TTC_QUERY_RECORD_TRACE_CHARS,
            prompts: raw.TTC_QUERY_RECORD_PROMPTS,
          }
        : undefined,
    queue: taskQueueOptions(raw),
  };
}
