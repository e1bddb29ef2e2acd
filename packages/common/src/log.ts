import { pino, type Logger } from "pino";

export type { Logger };

/** JSON logger for a service. One per process; children carry per-query fields. `level` is a pino level (`TTC_LOG_LEVEL`). */
export function createLogger(service: string, level: string): Logger {
  return pino({ name: service, level, base: { service, pid: process.pid } });
}
