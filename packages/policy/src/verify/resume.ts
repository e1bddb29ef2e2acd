/**
 * Continuations: how a verifier judges a growing trace reading only what is new, and still keeps
 * nothing between calls (so any replica of the verifier service can take any call of a branch).
 *
 * A verifier that reads incrementally answers with a {@link Continuation}: "next time, send the trace
 * from `offset` on, with `resume`". `resume` carries everything it needs to pick up where it stopped
 * (what it has judged for good, and where its next scan starts) and the offset it expects the text
 * from. The caller keeps it per branch attempt, never reads it, and sends it back. The judgement of a
 * resumed call must be exactly the judgement of the whole trace.
 *
 * The envelope is JSON: `{"k": kind, "at": offset, "s": state}`; `kind` names the state's format and
 * version, so a state written by another verifier or another version of this one is never misread.
 */
import type { Continuation, VerifyInput } from "./verifier.js";

/**
 * The call cannot be judged from what it carries: the trace starts after offset 0 but the resume
 * state is missing, unreadable or does not fit it. The caller then starts over with the whole trace.
 */
export class ResumeError extends Error {
  override readonly name = "ResumeError";
}

/** What a call may read: the trace from `offset` on, and the state to resume from (null: start fresh, then `offset` is 0). */
export interface Resumed<S> {
  text: string;
  offset: number;
  state: S | null;
}

/**
 * The text and state a call resumes from. `kind` names the state format; `read` checks a decoded
 * state's shape (null when it is not one), and `fits` (if given) whether it fits the text from its
 * offset on. The input's trace may start at or before the offset the state was returned with (a final
 * call sends the whole trace); the text before it is dropped.
 *
 * A state that is missing, of another kind, unreadable or inconsistent with the trace is ignored when
 * the whole trace is there (it is then read from the start), and a {@link ResumeError} otherwise.
 */
export function resumeFrom<S>(
  input: VerifyInput,
  kind: string,
  read: (raw: unknown) => S | null,
  fits: (state: S, text: string) => boolean = () => true,
): Resumed<S> {
  const traceOffset = input.traceOffset ?? 0;
  const envelope = input.resume ? decode(input.resume) : null;
  const state = envelope?.k === kind ? read(envelope.s) : null;
  const at = envelope?.at;
  if (state !== null && typeof at === "number" && Number.isInteger(at) && at >= traceOffset && at <= traceOffset + input.trace.length) {
    const text = input.trace.slice(at - traceOffset);
    if (fits(state, text)) return { text, offset: at, state };
  }
  if (traceOffset === 0) return { text: input.trace, offset: 0, state: null };
  const why = !input.resume
    ? "no resume state came with it"
    : state === null
      ? `its resume state is not a ${kind} state`
      : `its resume state expects the trace from ${String(at)}`;
  throw new ResumeError(`the trace starts at offset ${traceOffset} but ${why}; send the whole trace`);
}

/** The continuation "send the trace from `offset` on with `state`", for a state of format `kind`. */
export function continuation<S>(kind: string, offset: number, state: S): Continuation {
  return { offset, resume: JSON.stringify({ k: kind, at: offset, s: state }) };
}

/** Step scores of 0s and 1s as a resume state carries them: a string of digits. */
export function writeScores(scores: readonly number[]): string {
  return scores.join("");
}

/** The scores {@link writeScores} wrote; null when `raw` is not such a string. */
export function readScores(raw: unknown): number[] | null {
  return typeof raw === "string" && /^[01]*$/.test(raw) ? [...raw].map(Number) : null;
}

/**
 * The continuation of a verifier that reads nothing of the trace (its judgement comes from other
 * fields): the next call needs only what is new, and no state.
 */
export function readsNothing(input: VerifyInput): Continuation {
  return { offset: (input.traceOffset ?? 0) + input.trace.length, resume: "" };
}

/**
 * The whole trace, for a verifier that is not incremental (or a judgement that reads all of it, such
 * as extracting the final answer). A verifier without a continuation is always sent the whole trace;
 * this guards against a caller that sends only part of it.
 */
export function wholeTrace(input: VerifyInput, verifier: string): string {
  if ((input.traceOffset ?? 0) !== 0) {
    throw new ResumeError(`verifier ${verifier} reads the whole trace, but this one starts at offset ${input.traceOffset}`);
  }
  return input.trace;
}

function decode(resume: string): { k?: unknown; at?: unknown; s?: unknown } | null {
  try {
    const value: unknown = JSON.parse(resume);
    return typeof value === "object" && value !== null ? value : null;
  } catch {
    return null;
  }
}
