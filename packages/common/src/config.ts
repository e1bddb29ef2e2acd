import { z } from "zod";
import type { NatsAuth, TaskQueueOptions } from "./nats.js";
import { defaultNamespace } from "./wire.js";
import type { TracingSettings } from "./tracing.js";

/** Thrown when configuration is invalid; the message lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** An environment-style record: `process.env` in a service's main, a literal in tests. */
export type Env = Record<string, string | undefined>;

/**
 * Validates an environment-style record against a schema, once, at start-up.
 * Takes `env` as a parameter so tests never touch `process.env`.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`));
}

/**
 * A number read from an env var: unset gives `def`; empty or blank text is an error (a typo in a
 * manifest must not silently become 0), and so is text that is not a finite number.
 */
function numberText(def: number) {
  return z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return def;
      if (text.trim() === "") {
        ctx.addIssue({ code: "custom", message: `is empty: unset it for the default (${def}) or give a number` });
        return z.NEVER;
      }
      const n = Number(text);
      if (!Number.isFinite(n)) {
        ctx.addIssue({ code: "custom", message: `"${text.slice(0, 40)}" is not a number` });
        return z.NEVER;
      }
      return n;
    });
}

/** An integer env var with a default and bounds. */
export function intVar(def: number, min: number, max: number) {
  return numberText(def).pipe(z.number().int().min(min).max(max));
}

/** A float env var with a default and bounds. */
export function numVar(def: number, min: number, max: number) {
  return numberText(def).pipe(z.number().min(min).max(max));
}

/** Settings of {@link commonEnv} that may hold a secret (a NATS URL with credentials): each has a `_FILE` variant. */
export const commonSecrets = ["TTC_NATS_URL", "TTC_NATS_PASSWORD"] as const;

/** Common settings every service reads. */
export const commonEnv = {
  TTC_NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  /** NATS credentials, at most one kind: a user and password (TTC_NATS_PASSWORD_FILE: from a file), an nkey seed file, or a `.creds` file. */
  TTC_NATS_USER: z.string().min(1).optional(),
  TTC_NATS_PASSWORD: z.string().min(1).optional(),
  TTC_NATS_NKEY_SEED_FILE: z.string().min(1).optional(),
  TTC_NATS_CREDS_FILE: z.string().min(1).optional(),
  /** TLS to NATS: the CA of the server's certificate; a client certificate and key when the server asks for one. */
  TTC_NATS_CA_FILE: z.string().min(1).optional(),
  TTC_NATS_TLS_CERT: z.string().min(1).optional(),
  TTC_NATS_TLS_KEY: z.string().min(1).optional(),
  TTC_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default(defaultNamespace),
  TTC_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  TTC_METRICS_HOST: z.string().default("127.0.0.1"),
  /**
   * Where the service writes, once it listens, a JSON object with its addresses (`metricsUrl`, the
   * scheduler's `grpc`): how `ttc up` finds services started on port 0. Unset: nothing is written.
   */
  TTC_ANNOUNCE_FILE: z.string().min(1).optional(),
  /** OpenTelemetry traces over OTLP/HTTP (the standard variables): off unless an endpoint is set. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  OTEL_BSP_SCHEDULE_DELAY: intVar(5_000, 1, 600_000),
};

/** Settings of services that own running work: how long a drain lets it finish. */
export const drainEnv = {
  /**
   * On SIGTERM, how long in-flight work may run before it is stopped: a scheduler's queries then
   * answer with what they have, a worker's branches are handed back to the queue.
   */
  TTC_DRAIN_GRACE_MS: intVar(10_000, 0, 600_000),
};

/** The branch-task queue's settings: the scheduler creates the queue with them; a worker signals progress within the ack wait. */
export const taskQueueEnv = {
  /** Seconds a task may go without a progress signal before JetStream redelivers it. */
  TTC_ACK_WAIT_SECONDS: numVar(30, 0.5, 3600),
  /** Deliveries before a task is given up. */
  TTC_MAX_DELIVER: intVar(5, 1, 100),
  /** Seconds an undelivered task stays in the stream. */
  TTC_TASK_MAX_AGE_SECONDS: intVar(600, 10, 86_400),
  /** Copies of the task stream across a NATS cluster (3 survives the loss of a node; 1 on a single server). */
  TTC_TASK_STREAM_REPLICAS: intVar(1, 1, 5),
};

/** The validated {@link taskQueueEnv} settings as {@link TaskQueueOptions}. */
export function taskQueueOptions(raw: z.infer<z.ZodObject<typeof taskQueueEnv>>): TaskQueueOptions {
  return {
    ackWaitSeconds: raw.TTC_ACK_WAIT_SECONDS,
    maxDeliver: raw.TTC_MAX_DELIVER,
    maxAgeSeconds: raw.TTC_TASK_MAX_AGE_SECONDS,
    replicas: raw.TTC_TASK_STREAM_REPLICAS,
  };
}

/** What `runService` needs of every service's config: the {@link commonEnv} settings and its metrics port. */
export interface ServiceSettings {
  natsUrl: string;
  natsAuth: NatsAuth;
  namespace: string;
  logLevel: string;
  metricsHost: string;
  metricsPort: number;
  announceFile: string | undefined;
  tracing: TracingSettings;
}

/** The validated {@link commonEnv} settings, and the service's own `TTC_METRICS_PORT`, as {@link ServiceSettings}. */
export function serviceSettings(raw: z.infer<z.ZodObject<typeof commonEnv>> & { TTC_METRICS_PORT: number }): ServiceSettings {
  const kinds = [
    raw.TTC_NATS_USER && "TTC_NATS_USER",
    raw.TTC_NATS_NKEY_SEED_FILE && "TTC_NATS_NKEY_SEED_FILE",
    raw.TTC_NATS_CREDS_FILE && "TTC_NATS_CREDS_FILE",
  ];
  const given = kinds.filter((k): k is string => Boolean(k));
  const problems: string[] = [];
  if (given.length > 1) problems.push(`${given.join(", ")}: give one kind of NATS credentials`);
  if (raw.TTC_NATS_PASSWORD && !raw.TTC_NATS_USER) problems.push("TTC_NATS_PASSWORD: needs TTC_NATS_USER");
  if (Boolean(raw.TTC_NATS_TLS_CERT) !== Boolean(raw.TTC_NATS_TLS_KEY))
    problems.push(
      `${raw.TTC_NATS_TLS_CERT ? "TTC_NATS_TLS_KEY" : "TTC_NATS_TLS_CERT"}: a client certificate needs both TTC_NATS_TLS_CERT and TTC_NATS_TLS_KEY`,
    );
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    natsUrl: raw.TTC_NATS_URL,
    natsAuth: {
      ...(raw.TTC_NATS_USER ? { user: raw.TTC_NATS_USER, password: raw.TTC_NATS_PASSWORD ?? "" } : {}),
      ...(raw.TTC_NATS_NKEY_SEED_FILE ? { nkeySeedFile: raw.TTC_NATS_NKEY_SEED_FILE } : {}),
      ...(raw.TTC_NATS_CREDS_FILE ? { credsFile: raw.TTC_NATS_CREDS_FILE } : {}),
      ...(raw.TTC_NATS_CA_FILE ? { caFile: raw.TTC_NATS_CA_FILE } : {}),
      ...(raw.TTC_NATS_TLS_CERT ? { certFile: raw.TTC_NATS_TLS_CERT, keyFile: raw.TTC_NATS_TLS_KEY } : {}),
    },
    namespace: raw.TTC_NAMESPACE,
    logLevel: raw.TTC_LOG_LEVEL,
    metricsHost: raw.TTC_METRICS_HOST,
    metricsPort: raw.TTC_METRICS_PORT,
    announceFile: raw.TTC_ANNOUNCE_FILE,
    tracing: {
      endpoint:
        raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
        (raw.OTEL_EXPORTER_OTLP_ENDPOINT ? `${raw.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, "")}/v1/traces` : undefined),
      scheduleDelayMs: raw.OTEL_BSP_SCHEDULE_DELAY,
    },
  };
}
