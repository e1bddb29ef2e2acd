import { pino, type Logger } from "pino";

export type { Logger };

/** JSON logger for a service. One per process; children carry per-query fields. */
export function createLogger(service: string, level: string = "info"): Logger {
  return pino({ name: service, level, base: { service, pid: process.pid } });
}
