import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { Counter, Histogram, Registry } from "prom-client";
import { VerifyRequest, VerifyResponse } from "@ttc/proto";
import { metricNames, tryDecode, verifyInput, type Logger, type WireNames } from "@ttc/common";
import { createVerifier, verifierNames, type TraceVerifier } from "@ttc/policy";

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
      help: "Seconds spent scoring one trace.",
      labelNames: ["verifier"] as const,
      buckets: [0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    }),
    malformedMessages: new Counter({ name: names.malformedMessages, help: "Verify requests that failed to decode and were dropped.", registers }),
  };
}

export type VerifierMetrics = ReturnType<typeof createVerifierMetrics>;

/**
 * Answers verify requests for every verifier kind this process has, in a queue group so replicas
 * share the load and each request is scored once.
 */
export class VerifierService {
  private readonly verifiers = new Map<string, TraceVerifier>();
  private readonly subs: Subscription[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly wire: WireNames,
    private readonly metrics: VerifierMetrics,
    private readonly log: Logger,
  ) {
    for (const name of verifierNames) this.verifiers.set(name, createVerifier(name));
  }

  async start(): Promise<void> {
    for (const name of this.verifiers.keys()) {
      this.subs.push(
        this.nc.subscribe(this.wire.verifySubject(name), { queue: this.wire.verifierQueue, callback: (err, msg) => {
          if (!err) this.handle(name, msg);
        } }),
      );
    }
    await this.nc.flush();
  }

  async stop(): Promise<void> {
    for (const sub of this.subs) await sub.drain();
  }

  private handle(name: string, msg: Msg): void {
    const request = tryDecode(VerifyRequest, msg.data);
    if (!request) {
      this.metrics.malformedMessages.inc();
      this.reply(msg, { score: -1, stepScores: [], reject: false, reason: "", verified: false, error: "malformed VerifyRequest" });
      return;
    }
    const verifier = this.verifiers.get(name)!;
    const end = this.metrics.duration.startTimer({ verifier: name });
    try {
      const out = verifier.verify(verifyInput(request));
      this.metrics.requests.inc({ verifier: name, outcome: out.reject ? "rejected" : "ok" });
      this.reply(msg, { ...out, error: "" });
    } catch (err) {
      this.metrics.requests.inc({ verifier: name, outcome: "error" });
      this.log.warn({ verifier: name, err: String(err) }, "verifier failed");
      this.reply(msg, { score: -1, stepScores: [], reject: false, reason: "", verified: false, error: `verifier ${name} failed: ${String(err)}` });
    } finally {
      end();
    }
  }

  private reply(msg: Msg, response: VerifyResponse): void {
    if (msg.reply) msg.respond(VerifyResponse.encode(response).finish());
  }
}
