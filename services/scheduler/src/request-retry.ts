import { RequestRecord_State, type RequestRecord, type SolveResult } from "@ttc/proto";

/** What a call whose request_id has a record does. */
export type RetryPlan =
  /** No record: a new query, recorded. */
  | { kind: "new" }
  /** The id was used for a different request. */
  | { kind: "conflict" }
  /** It answered: the stored result, with no compute spent. */
  | { kind: "answered"; result: SolveResult }
  /** A live scheduler runs it: wait for its record to change (or its owner to fall silent). */
  | { kind: "wait"; owner: string }
  /** Its run ended without an answer or its scheduler is gone: run it again with that run's seed, reusing its finished branches. */
  | { kind: "resume" };

/**
 * Decides what a call does with the record of its request_id (pure). `self` is this scheduler, which
 * has no run of the request (a run of its own is joined before the record is read); `ownerGone` says
 * whether another scheduler fell silent.
 */
export function planRetry(
  record: RequestRecord | undefined,
  fingerprint: Uint8Array,
  self: string,
  ownerGone: (schedulerId: string) => boolean,
): RetryPlan {
  if (!record) return { kind: "new" };
  if (!Buffer.from(record.fingerprint).equals(Buffer.from(fingerprint))) return { kind: "conflict" };
  switch (record.state) {
    case RequestRecord_State.STATE_ANSWERED:
      return record.result ? { kind: "answered", result: record.result } : { kind: "resume" };
    case RequestRecord_State.STATE_RUNNING:
      // Its own record with no run here: this scheduler restarted under the same id, or lost the end.
      if (record.ownerSchedulerId === self || ownerGone(record.ownerSchedulerId)) return { kind: "resume" };
      return { kind: "wait", owner: record.ownerSchedulerId };
    default:
      return { kind: "resume" };
  }
}
