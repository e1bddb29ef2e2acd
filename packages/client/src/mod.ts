/** @ttc/client: The typed TypeScript client of ttc.v1.Scheduler: promises, async iterables, deadlines, AbortSignal, retries of UNAVAILABLE. */
export {};
