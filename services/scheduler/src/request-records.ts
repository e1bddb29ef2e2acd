import { createHash } from "node:crypto";
import type { NatsConnection } from "@nats-io/nats-core";
import { StorageType } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { RequestRecord, RequestRecord_State, SolveRequest, TraceChunk, type SolveResult } from "@ttc/proto";
import { tryDecode, type Logger, type WireNames } from "@ttc/common";
import type { SchedulerMetrics } from "./metrics.js";

/** A request's record as stored: its head, and the finished branches it lists. */
export interface StoredRequest {
  record: RequestRecord;
  branches: Map<number, TraceChunk>;
}

/**
 * The key of a tenant's request_id in the bucket: a hash, so any request_id is a valid key and one
 * tenant's ids never meet another's.
 */
export function requestKey(tenant: string, requestId: string): string {
  return createHash("sha256").update(tenant).update("\0").update(requestId).digest("hex").slice(0, 40);
}

/** What a retry must ask for: the request without its request_id, with policy params in one order. */
export function requestFingerprint(request: SolveRequest): Buffer {
  const params = Object.fromEntries(Object.entries(request.policy?.params ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const canonical = SolveRequest.encode({ ...request, requestId: "", policy: request.policy ? { ...request.policy, params } : undefined });
  return createHash("sha256").update(canonical.finish()).digest();
}

/**
 * The durable records of requests that carry a request_id, in a JetStream key-value bucket with a
 * TTL: a head per request (`<key>`) and one entry per finished branch (`<key>.<index>`). Written by
 * the scheduler running the request, read by any replica a retry reaches. A write that fails never
 * fails the query: it is counted and logged, and a retry may then run more of it again.
 */
export class RequestRecords {
  private constructor(
    private readonly kv: KV,
    private readonly metrics: SchedulerMetrics,
    private readonly log: Logger,
  ) {}

  static async open(
    nc: NatsConnection,
    names: WireNames,
    options: { ttlMs: number; replicas: number },
    metrics: SchedulerMetrics,
    log: Logger,
  ): Promise<RequestRecords> {
    const kv = await new Kvm(nc).create(names.requestBucket, {
      history: 1,
      ttl: options.ttlMs,
      replicas: options.replicas,
      storage: StorageType.File,
    });
    return new RequestRecords(kv, metrics, log);
  }

  /** The request's record and its finished branches; undefined when there is none (or it cannot be read). */
  async load(key: string): Promise<StoredRequest | undefined> {
    const head = await this.kv.get(key);
    if (!head || head.operation !== "PUT") return undefined;
    const record = tryDecode(RequestRecord, head.value);
    if (!record) {
      this.metrics.requestRecordErrors.inc({ op: "decode" });
      return undefined;
    }
    const branches = new Map<number, TraceChunk>();
    const entries = await Promise.all(record.finishedBranches.map((i) => this.kv.get(`${key}.${i}`)));
    for (const entry of entries) {
      const chunk = entry?.operation === "PUT" ? tryDecode(TraceChunk, entry.value) : undefined;
      // A missing or unreadable branch is simply run again.
      if (chunk) branches.set(chunk.branchIndex, chunk);
    }
    return { record, branches };
  }

  /** A writer of one run of the request: its writes reach the bucket in the order they are made. */
  writer(key: string, head: RequestRecord): RequestRecordWriter {
    return new RequestRecordWriter(key, head, (op, k, value) => this.put(op, k, value));
  }

  /** Says a call on another scheduler waits for this request: its owner keeps running it after its own caller left. */
  markWaiting(key: string): Promise<void> {
    return this.put("waiting", `${key}.w`, new TextEncoder().encode(String(Date.now())));
  }

  /** Since when a call on another scheduler has been waiting for this request (ms since the epoch), or 0. */
  async waitingSince(key: string): Promise<number> {
    try {
      const entry = await this.kv.get(`${key}.w`);
      return entry?.operation === "PUT" ? Number(new TextDecoder().decode(entry.value)) || 0 : 0;
    } catch {
      return 0;
    }
  }

  private async put(op: string, key: string, value: Uint8Array): Promise<void> {
    try {
      await this.kv.put(key, value);
    } catch (err) {
      this.metrics.requestRecordErrors.inc({ op });
      this.log.warn({ err: (err as Error).message, op }, "request record not written");
    }
  }
}

/** Writes one run's record: the head as the run starts, each branch as it finishes, the end. */
export class RequestRecordWriter {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly key: string,
    private readonly head: RequestRecord,
    private readonly put: (op: string, key: string, value: Uint8Array) => Promise<void>,
  ) {
    this.writeHead("claim");
  }

  /** A branch finished: stored before the head lists it, so a listed branch is always there. */
  branchFinished(chunk: TraceChunk): void {
    const data = TraceChunk.encode(chunk).finish();
    this.then(() => this.put("branch", `${this.key}.${chunk.branchIndex}`, data));
    this.head.finishedBranches.push(chunk.branchIndex);
    this.writeHead("head");
  }

  /** The run answered: every retry gets this result. */
  answered(result: SolveResult): Promise<void> {
    this.head.state = RequestRecord_State.STATE_ANSWERED;
    this.head.result = result;
    return this.writeHead("answered");
  }

  /** The run ended without an answer to keep: a retry runs it again, reusing its finished branches. */
  abandoned(): Promise<void> {
    this.head.state = RequestRecord_State.STATE_ABANDONED;
    return this.writeHead("abandoned");
  }

  private writeHead(op: string): Promise<void> {
    this.head.updatedUnixMs = Date.now();
    const data = RequestRecord.encode(this.head).finish();
    return this.then(() => this.put(op, this.key, data));
  }

  private then(write: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(write);
    return this.chain;
  }
}
