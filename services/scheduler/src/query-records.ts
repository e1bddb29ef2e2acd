import { status } from "@grpc/grpc-js";
import type { NatsConnection } from "@nats-io/nats-core";
import { nanos } from "@nats-io/nats-core";
import {
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { QueryRecordEntry, QueryRecordPage } from "@ttc/proto";
import { ensureStream, tryDecode, type Logger, type WireNames } from "@ttc/common";
import { ServiceError } from "./errors.js";
import type { SchedulerMetrics } from "./metrics.js";

export interface QueryRecordSettings {
  ttlMs: number;
  /** The whole stream's size bound: the oldest records go first. */
  maxBytes: number;
  replicas: number;
  /** How often a running query's new entries are written (a crash loses at most this much). */
  flushMs: number;
}

/** Largest page appended at once (NATS's default max payload is 1 MiB). */
const maxPageBytes = 256 * 1024;

/**
 * The query records: every query's entries appended, in pages, on its own subject of a JetStream
 * stream with a TTL and a size bound (a stream, not a key-value bucket: a record is append-only and
 * read back, or watched, in order). Written by the scheduler running the query; read by any replica.
 * A write that fails never fails the query: it is counted and logged.
 */
export class QueryRecords {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly names: WireNames,
    private readonly settings: QueryRecordSettings,
    private readonly metrics: SchedulerMetrics,
    private readonly log: Logger,
  ) {}

  static async open(
    nc: NatsConnection,
    names: WireNames,
    settings: QueryRecordSettings,
    metrics: SchedulerMetrics,
    log: Logger,
  ): Promise<QueryRecords> {
    const jsm = await jetstreamManager(nc);
    const config: Partial<StreamConfig> & { name: string } = {
      name: names.queryRecordStream,
      subjects: [names.queryRecordWildcard],
      storage: StorageType.File,
      max_age: nanos(settings.ttlMs),
      max_bytes: settings.maxBytes,
      discard: DiscardPolicy.Old,
      max_msg_size: maxPageBytes + 64 * 1024,
      num_replicas: settings.replicas,
    };
    await ensureStream(jsm, config);
    return new QueryRecords(jetstream(nc), jsm, names, settings, metrics, log);
  }

  /** A writer of one query's record. */
  writer(queryId: string): QueryRecordWriter {
    const subject = this.names.queryRecordSubject(queryId);
    return new QueryRecordWriter(
      (page) => this.js.publish(subject, page).then(() => undefined),
      this.settings.flushMs,
      (err) => {
        this.metrics.queryRecordErrors.inc();
        this.log.warn({ queryId, err: String(err) }, "query record write failed");
      },
    );
  }

  /** Pages recorded of the query so far (0: no record). */
  async pages(queryId: string): Promise<number> {
    const subject = this.names.queryRecordSubject(queryId);
    const info = await this.jsm.streams.info(this.names.queryRecordStream, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }

  /** Every entry recorded of the query so far, in order; [] when there is none. */
  async read(queryId: string): Promise<QueryRecordEntry[]> {
    const pages = await this.pages(queryId);
    if (pages === 0) return [];
    const entries: QueryRecordEntry[] = [];
    for await (const entry of this.follow(queryId, AbortSignal.timeout(10_000), pages)) entries.push(entry);
    return entries;
  }

  /**
   * The query's entries from the first, then each new one as it is written, until `signal` aborts or
   * `pages` pages were read (when given).
   */
  async *follow(queryId: string, signal: AbortSignal, pages?: number): AsyncGenerator<QueryRecordEntry> {
    const consumer = await this.js.consumers.get(this.names.queryRecordStream, {
      // One subject as a string (filter_subject): a list of them needs nats-server 2.10.
      filter_subjects: this.names.queryRecordSubject(queryId),
    });
    const messages = await consumer.consume({ max_messages: 64 });
    const stop = () => void messages.stop();
    signal.addEventListener("abort", stop, { once: true });
    try {
      let read = 0;
      for await (const m of messages) {
        const page = tryDecode(QueryRecordPage, m.data);
        if (page) yield* page.entries;
        else this.metrics.malformedMessages.inc({ kind: "query_record" });
        if (pages !== undefined && ++read >= pages) break;
      }
    } finally {
      signal.removeEventListener("abort", stop);
      await messages.close().catch(() => {});
    }
  }
}

/**
 * Collects one query's entries and appends them as pages: every `flushMs` while the query runs,
 * at once past `maxPageBytes`, and at `close()`. Pages go out at once, in order (one connection
 * delivers them to the stream in the order they were sent), without waiting for earlier acks.
 */
export class QueryRecordWriter {
  /** Entries waiting for the next page, each encoded once. */
  private entries: Uint8Array[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly writing = new Set<Promise<void>>();
  private written = false;

  constructor(
    private readonly append: (page: Uint8Array) => Promise<void>,
    private readonly flushMs: number,
    private readonly failed: (err: unknown) => void,
  ) {}

  add(entry: QueryRecordEntry): void {
    const encoded = QueryRecordEntry.encode(entry).finish();
    this.entries.push(encoded);
    this.bytes += encoded.length;
    // The first entry goes out at once: the record exists as soon as the query starts.
    if (this.bytes >= maxPageBytes || !this.written) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Writes what is pending and resolves once every page so far was appended (or failed). */
  async close(): Promise<void> {
    this.flush();
    await Promise.all(this.writing);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.entries.length === 0) return;
    this.written = true;
    const page = encodePage(this.entries);
    this.entries = [];
    this.bytes = 0;
    const write = this.append(page)
      .catch(this.failed)
      .finally(() => this.writing.delete(write));
    this.writing.add(write);
  }
}

/** NOT_FOUND for a query with no record the caller may see. */
export function noRecord(queryId: string): ServiceError {
  return new ServiceError(
    status.NOT_FOUND,
    `no record of query ${JSON.stringify(queryId.slice(0, 64))}: it never ran here, it is older than TTC_QUERY_RECORD_TTL_MS, or it is another tenant's`,
  );
}

/** Field 1 of QueryRecordPage, wire type 2 (length-delimited). */
const pageEntriesTag = (1 << 3) | 2;

/**
 * A `QueryRecordPage` of entries already encoded: each as field 1 (`entries`), length-delimited,
 * byte for byte what `QueryRecordPage.encode` writes, without encoding every entry a second time.
 */
export function encodePage(entries: readonly Uint8Array[]): Uint8Array {
  const w = new BinaryWriter();
  for (const e of entries) w.uint32(pageEntriesTag).bytes(e);
  return w.finish();
}
