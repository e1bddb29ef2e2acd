import { z } from "zod";

/** Thrown when configuration is invalid; the message lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/**
 * Validates an environment-style record against a schema, once, at start-up.
 * Takes `env` as a parameter so tests never touch `process.env`.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`));
}

/** An integer env var with a default and bounds. */
export function intVar(def: number, min: number, max: number) {
  return z.coerce.number().int().min(min).max(max).default(def);
}

/** A float env var with a default and bounds. */
export function numVar(def: number, min: number, max: number) {
  return z.coerce.number().min(min).max(max).default(def);
}

/** Common settings every service reads. */
export const commonEnv = {
  TTC_NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  TTC_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default("ttc"),
  TTC_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  TTC_METRICS_HOST: z.string().default("127.0.0.1"),
};
