import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { Counter, Histogram, Registry } from "prom-client";
import { VerifyRequest, VerifyResponse } from "@ttc/proto";
import {
  contextFromNatsHeaders,
  EngineError,
  metricNames,
  SpanStatusCode,
  tracer,
  tryDecode,
  unscored,
  verifyInput,
  verifyResponse,
  withSpan,
  type Logger,
  type WireNames,
} from "@ttc/common";
import { createVerifier, engineVerifierNames, verifierNames, type TraceVerifier } from "@ttc/policy";
import type { AsyncTraceVerifier } from "./async-verifier.js";

const names = metricNames.verifier;

/** The verifier service's metrics, on one registry per process. */
export function createVerifierMetrics() {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: names.requests,
      help: "Verify requests answered, by verifier and outcome (ok, rejected, error).",
      labelNames: ["verifier", "outcome"] as const,
      registers,
    }),
    duration: new Histogram({
      name: names.duration,
      help: "Seconds spent scoring one trace (engine verifiers: including the batch window and the engine call).",
      labelNames: ["verifier"] as const,
      buckets: [0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30],
      registers,
    }),
    malformedMessages: new Counter({
      name: names.malformedMessages,
      help: "Verify requests that failed to decode (answered with an error).",
      registers,
    }),
  };
}

export type VerifierMetrics = ReturnType<typeof createVerifierMetrics>;

/** Options of {@link VerifierService}. */
export interface VerifierServiceOptions {
  /** Engine-backed verifiers to serve besides the pure ones (prm, judge, configured by main). */
  engines?: AsyncTraceVerifier[];
}

const engineOnly: readonly string[] = engineVerifierNames;

/**
 * Answers verify requests for every verifier kind this process has, in a queue group so replicas
 * share the load and each request is scored once. It keeps nothing between requests: an incremental
 * verifier's continuation (resume offset and state) travels in the requests, so any replica can take
 * the next call of any branch. The pure verifiers are always served; an engine
 * verifier (prm, judge) only when it was given, so a scheduler asking for an unconfigured one gets
 * "no responders" at once instead of a wrong score.
 *
 * Requests are handled concurrently: an engine call in flight never holds up the next request, and
 * nothing a verifier does (throwing, rejecting, a malformed request) escapes the handler: every
 * request is counted and answered, with `error` set when the trace could not be scored.
 */
export class VerifierService {
  private readonly verifiers = new Map<string, TraceVerifier | AsyncTraceVerifier>();
  private readonly subs: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly wire: WireNames,
    private readonly metrics: VerifierMetrics,
    private readonly log: Logger,
    private readonly options: VerifierServiceOptions = {},
  ) {
    for (const name of verifierNames) if (!engineOnly.includes(name)) this.verifiers.set(name, createVerifier(name));
    for (const engine of options.engines ?? []) this.verifiers.set(engine.name, engine);
  }

  /** The verifier names this process answers for. */
  get served(): string[] {
    return [...this.verifiers.keys()];
  }

  async start(): Promise<void> {
    for (const name of this.verifiers.keys()) {
      this.subs.push(
        this.nc.subscribe(this.wire.verifySubject(name), {
          queue: this.wire.verifierQueue,
          callback: (err, msg) => {
            if (!err) this.track(this.handle(name, msg));
          },
        }),
      );
    }
    await this.nc.flush();
  }

  /** Stops taking requests, finishes (and answers) those in flight, then closes the engines. */
  async stop(): Promise<void> {
    for (const sub of this.subs) await sub.drain();
    await Promise.allSettled([...this.inFlight]);
    for (const engine of this.options.engines ?? []) engine.close?.();
  }

  private track(work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) => this.log.error({ err: String(err) }, "verify handler failed"))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async handle(name: string, msg: Msg): Promise<void> {
    const request = tryDecode(VerifyRequest, msg.data);
    if (!request) {
      this.metrics.malformedMessages.inc();
      this.reply(msg, unscored("malformed VerifyRequest"));
      return;
    }
    const verifier = this.verifiers.get(name)!;
    const end = this.metrics.duration.startTimer({ verifier: name });
    // A child of the query's span, from the request's trace context (a no-op when tracing is off).
    const span = tracer().startSpan(
      "ttc.verify",
      {
        attributes: {
          "ttc.verifier": name,
          "ttc.query_id": request.queryId.slice(0, 64),
          "ttc.branch": request.branchIndex,
          "ttc.final": request.final,
        },
      },
      contextFromNatsHeaders(msg.headers),
    );
    try {
      const out = await verifier.verify(verifyInput(request), withSpan(span));
      this.metrics.requests.inc({ verifier: name, outcome: out.reject ? "rejected" : "ok" });
      span.setAttributes({ "ttc.score": out.score, "ttc.reject": out.reject === true });
      this.reply(msg, verifyResponse(out));
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      this.metrics.requests.inc({ verifier: name, outcome: "error" });
      const message = err instanceof Error ? err.message : String(err);
      this.log.warn({ verifier: name, queryId: request.queryId, branch: request.branchIndex, err: message }, "verifier failed");
      this.reply(msg, unscored(err instanceof EngineError ? message : `verifier ${name} failed: ${message}`));
    } finally {
      span.end();
      end();
    }
  }

  private reply(msg: Msg, response: VerifyResponse): void {
    if (!msg.reply) return;
    try {
      msg.respond(VerifyResponse.encode(response).finish());
    } catch (err) {
      this.log.warn({ err: String(err) }, "could not send a verify reply");
    }
  }
}
