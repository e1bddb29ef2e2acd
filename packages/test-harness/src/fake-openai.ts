/**
 * A fake OpenAI-compatible engine for tests: a real `node:http` server on 127.0.0.1 that speaks the
 * wire format of vLLM / SGLang / llama.cpp's server (`POST /v1/completions`, `POST
 * /v1/chat/completions` as server-sent events, `GET /v1/models`), replaying recorded transcripts.
 *
 * It records every request (body, headers) and, for each, how many events it sent and when the
 * connection closed, so a test can prove that a cancelled branch closed its stream at once and got
 * nothing after. Replies can be paced, stall, drop the connection, or be error bodies; the whole
 * server can go down (connection refused) and come back on the same port.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the fake engine answers to one generation request. */
export type FakeReply =
  | {
      kind: "stream";
      /** SSE events exactly as sent on the wire, each `data: …\n\n` (see {@link readTranscript}). */
      events: readonly string[];
      /** Pause before every event. @default 0 */
      intervalMs?: number;
      /** Pause before the first event, after the headers went out (prefill, queueing). @default 0 */
      firstDelayMs?: number;
      /** Destroys the socket after sending this many events (a crashed engine, a dropped connection). */
      dropAfter?: number;
      /** Sends this many events, then nothing more, holding the connection open. */
      stallAfter?: number;
    }
  /** An HTTP response with a JSON body (error bodies: `{"error": {…}}` or vLLM's legacy flat form). */
  | { kind: "json"; status: number; body: string; headers?: Record<string, string> }
  /** Destroys the socket without answering. */
  | { kind: "drop" };

/** One request the fake engine received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  /** The JSON body, parsed. */
  body: Record<string, unknown> | undefined;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
  /** SSE events written so far. */
  eventsSent: number;
  /** `performance.now()` when the connection of this request closed, by either side. */
  closedAt: number | undefined;
  /** True when the server sent its whole reply; false when the client went away first. */
  completed: boolean;
  /** Resolves when the connection of this request has closed. */
  closed: Promise<void>;
}

/** The SSE events of a transcript file: blocks separated by a blank line, each kept with its `\n\n`. */
export function sseEvents(transcript: string): string[] {
  return transcript
    .split(/\n\n/)
    .filter((block) => block.trim() !== "")
    .map((block) => `${block}\n\n`);
}

/** Reads a transcript fixture (`.sse`: the events; `.json`: an error or list body, returned whole). */
export function readTranscript(path: string | URL): string[] {
  return sseEvents(readFileSync(path, "utf8"));
}

export interface FakeOpenAIOptions {
  /** Body of `GET /v1/models`. */
  models?: string;
  /** Reply to generation requests when the queue is empty. @default a 500 saying so */
  fallback?: FakeReply;
}

export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  /** Status of `GET /v1/models` (e.g. 503 while "loading"). */
  modelsStatus = 200;
  private readonly queue: FakeReply[] = [];
  private readonly server: Server;
  private portNumber = 0;

  private constructor(private readonly options: FakeOpenAIOptions) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
  }

  /** Starts on a free port of 127.0.0.1. */
  static async start(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
    const fake = new FakeOpenAI(options);
    await fake.up();
    return fake;
  }

  get port(): number {
    return this.portNumber;
  }

  /** The API root to give a client: `http://127.0.0.1:<port>/v1`. */
  get baseURL(): string {
    return `http://127.0.0.1:${this.portNumber}/v1`;
  }

  /** Generation requests (`/completions`, `/chat/completions`) received, in order. */
  get generations(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === "POST");
  }

  /** Queues replies for the next generation requests, in order. */
  enqueue(...replies: FakeReply[]): void {
    this.queue.push(...replies);
  }

  /** Listens (again, on the same port after {@link down}). */
  async up(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.portNumber, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.portNumber = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and cuts every connection: clients get connection refused until {@link up}. */
  async down(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  async close(): Promise<void> {
    await this.down();
  }

  /** Connections the server still has open (a test proves at teardown that none leaked). */
  async connections(): Promise<number> {
    return new Promise((resolve, reject) => this.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let resolveClosed!: () => void;
    const record: RecordedRequest = {
      method: req.method ?? "",
      path: (req.url ?? "").split("?")[0]!,
      headers: req.headers,
      body: raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined,
      receivedAt: performance.now(),
      eventsSent: 0,
      closedAt: undefined,
      completed: false,
      closed: new Promise<void>((resolve) => (resolveClosed = resolve)),
    };
    this.requests.push(record);
    res.on("close", () => {
      record.closedAt = performance.now();
      resolveClosed();
    });
    if (req.method === "GET" && record.path === "/v1/models") {
      await this.reply(record, res, {
        kind: "json",
        status: this.modelsStatus,
        body: this.modelsStatus === 200 ? this.modelsBody() : `{"error":{"message":"Loading model","type":"unavailable_error","code":503}}`,
      });
      return;
    }
    if (req.method === "POST" && (record.path === "/v1/completions" || record.path === "/v1/chat/completions")) {
      const reply = this.queue.shift() ??
        this.options.fallback ?? {
          kind: "json",
          status: 500,
          body: `{"error":{"message":"fake engine: no reply queued","type":"InternalServerError","code":500}}`,
        };
      await this.reply(record, res, reply);
      return;
    }
    await this.reply(record, res, { kind: "json", status: 404, body: `{"detail":"Not Found"}` });
  }

  private modelsBody(): string {
    return (
      this.options.models ?? JSON.stringify({ object: "list", data: [{ id: "fake-model", object: "model", created: 0, owned_by: "fake" }] })
    );
  }

  private async reply(record: RecordedRequest, res: ServerResponse, reply: FakeReply): Promise<void> {
    if (reply.kind === "drop") {
      res.socket?.destroy();
      return;
    }
    if (reply.kind === "json") {
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(reply.body, () => (record.completed = true));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
    res.flushHeaders();
    const gone = () => record.closedAt !== undefined;
    for (let i = 0; i < reply.events.length; i++) {
      if (reply.dropAfter === i) {
        res.socket?.destroy();
        return;
      }
      if (reply.stallAfter === i) return; // holds the connection until the client closes it
      const pause = i === 0 ? (reply.firstDelayMs ?? 0) + (reply.intervalMs ?? 0) : (reply.intervalMs ?? 0);
      if (pause > 0) await Promise.race([new Promise((r) => setTimeout(r, pause)), record.closed]);
      if (gone()) return;
      // Wait until the event is on the wire, so a drop right after it cannot discard it.
      await new Promise<void>((resolve) => res.write(reply.events[i]!, () => resolve()));
      record.eventsSent++;
    }
    res.end(() => (record.completed = true));
  }
}
