/**
 * Verifiers that need an engine (a process reward model, an LLM judge): the asynchronous sibling of
 * the pure `TraceVerifier`, and the HTTP plumbing they share.
 *
 * An engine that is down, slow or answers nonsense makes `verify` reject with an {@link EngineError}
 * (the type the workers' backends throw too, from `@ttc/common`); the verifier service turns that into a
 * VerifyResponse with `error` set, so the scheduler leaves the trace unscored and answers anyway (its
 * result then says the verifier was degraded).
 */
import { EngineError, type Context } from "@ttc/common";
import type { VerifyInput, VerifyOutput } from "@ttc/policy";

/** A trace verifier backed by an engine: the same contract as `TraceVerifier`, but asynchronous. */
export interface AsyncTraceVerifier {
  readonly name: string;
  /** true when it can judge partial traces */
  readonly partial: boolean;
  /**
   * Resolves with the judgement; rejects (an {@link EngineError}) when the trace could not be scored.
   * `trace` is the verify call's span context: the engine request carries it (W3C `traceparent`).
   */
  verify(input: VerifyInput, trace?: Context): Promise<VerifyOutput>;
  /** Fails whatever is still queued and releases timers; called when the service stops. */
  close?(): void;
}

/** The engine answered, but not with what the protocol promises: a retry would get the same nonsense. */
export function unreadableAnswer(message: string): EngineError {
  return new EngineError(message, { code: "UNAVAILABLE", retryable: false });
}

/** Options of {@link postJson}. */
export interface PostJsonOptions {
  /** Gives up (and aborts the request) after this many milliseconds. */
  timeoutMs: number;
  /** Names the engine in error messages, e.g. "prm". */
  engine: string;
  headers?: Record<string, string>;
}

/**
 * POSTs `body` as JSON to `url` and returns the parsed JSON answer. Every failure is an
 * {@link EngineError} naming the engine and the URL: connection refused or reset and the timeout (which
 * covers reading the body too) are `UNAVAILABLE`, a non-2xx status has the code of its HTTP status (and
 * the start of the error body in the message), and invalid JSON is an {@link unreadableAnswer}.
 */
export async function postJson(url: string, body: unknown, o: PostJsonOptions): Promise<unknown> {
  const signal = AbortSignal.timeout(o.timeoutMs);
  const where = `${o.engine}: POST ${url}`;
  let text: string;
  let status: number;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...o.headers },
      body: JSON.stringify(body),
      signal,
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    if (signal.aborted) throw new EngineError(`${where} timed out after ${o.timeoutMs} ms`, { code: "UNAVAILABLE", cause: err });
    throw new EngineError(`${where} failed: ${networkError(err)}`, { code: "UNAVAILABLE", cause: err });
  }
  if (status < 200 || status > 299) throw EngineError.fromHttpStatus(status, `${where} answered HTTP ${status}: ${snippet(text)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw unreadableAnswer(`${where} answered with invalid JSON: ${snippet(text)}`);
  }
}

/** `base` (with or without a trailing slash) joined with `path`. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/** The start of a body for an error message, on one line. */
export function snippet(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat === "" ? "(empty body)" : flat;
}

/** Why fetch failed: undici hides the system error (ECONNREFUSED, ECONNRESET, …) in `cause`. */
function networkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (cause && typeof cause.code === "string") return `${cause.code}${typeof cause.message === "string" ? ` (${cause.message})` : ""}`;
  if (cause && typeof cause.message === "string") return cause.message;
  return err.message;
}
