/** @ttc/query: The life of one query as a pure state machine (QueryEngine): chunks, verdicts, timers and interrupts in; tasks, cancels, verify calls, events and the result out. */
export {};
