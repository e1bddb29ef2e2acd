/**
 * Verifiers that need an engine (a process reward model, an LLM judge): the asynchronous sibling of
 * the pure `TraceVerifier`, and the HTTP plumbing they share.
 *
 * An engine that is down, slow or answers nonsense makes `verify` reject with an {@link EngineError};
 * the verifier service turns that into a VerifyResponse with `error` set, so the scheduler leaves the
 * trace unscored and answers anyway (its result then says the verifier was degraded).
 */
import type { VerifyInput, VerifyOutput } from "@ttc/policy";

/** A trace verifier backed by an engine: the same contract as `TraceVerifier`, but asynchronous. */
export interface AsyncTraceVerifier {
  readonly name: string;
  /** true when it can judge partial traces */
  readonly partial: boolean;
  /** Resolves with the judgement; rejects (an {@link EngineError}) when the trace could not be scored. */
  verify(input: VerifyInput): Promise<VerifyOutput>;
  /** Fails whatever is still queued and releases timers; called when the service stops. */
  close?(): void;
}

/** The engine could not score a trace: unreachable, timed out, an HTTP error, or an answer it could not read. */
export class EngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EngineError";
  }
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
 * {@link EngineError} naming the engine and the URL: connection refused or reset, the timeout (which
 * covers reading the body too), a non-2xx status (with the start of the error body) or invalid JSON.
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
    if (signal.aborted) throw new EngineError(`${where} timed out after ${o.timeoutMs} ms`);
    throw new EngineError(`${where} failed: ${networkError(err)}`);
  }
  if (status < 200 || status > 299) throw new EngineError(`${where} answered HTTP ${status}: ${snippet(text)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new EngineError(`${where} answered with invalid JSON: ${snippet(text)}`);
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
