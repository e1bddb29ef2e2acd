/**
 * A local OTLP/HTTP trace receiver: what an OpenTelemetry Collector's `otlphttp` receiver accepts on
 * `POST /v1/traces` (JSON encoding, as the services' exporter sends it), kept in memory as flat spans.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedSpan {
  /** The exporting process's `service.name`. */
  service: string;
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  attributes: Record<string, string | number | boolean>;
  events: { name: string; attributes: Record<string, string | number | boolean> }[];
  /** Spans of other traces (or the same) this one is linked to. */
  links: { traceId: string; spanId: string }[];
}

export interface OtlpReceiver {
  /** What the services take as `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Requests refused (not JSON, not an export request). */
  refused: number;
  stop(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
type OtlpAttribute = { key: string; value: OtlpValue };

const valueOf = (v: OtlpValue) => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue ?? ""));
const attributes = (list: OtlpAttribute[] | undefined) => Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver: Omit<OtlpReceiver, "endpoint" | "stop"> = { spans: [], refused: 0 };
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (p: Buffer) => parts.push(p));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces" || !String(req.headers["content-type"]).includes("json")) {
        receiver.refused++;
        return void res.writeHead(415).end();
      }
      try {
        const body = JSON.parse(Buffer.concat(parts).toString("utf8")) as {
          resourceSpans?: {
            resource?: { attributes?: OtlpAttribute[] };
            scopeSpans?: {
              spans?: {
                traceId: string;
                spanId: string;
                parentSpanId?: string;
                name: string;
                attributes?: OtlpAttribute[];
                events?: { name: string; attributes?: OtlpAttribute[] }[];
                links?: { traceId: string; spanId: string }[];
              }[];
            }[];
          }[];
        };
        for (const rs of body.resourceSpans ?? []) {
          const service = String(attributes(rs.resource?.attributes)["service.name"] ?? "");
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? [])
              receiver.spans.push({
                service,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? "",
                name: s.name,
                attributes: attributes(s.attributes),
                events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attributes(e.attributes) })),
                links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
              });
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } catch {
        receiver.refused++;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
