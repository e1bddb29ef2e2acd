/**
 * OpenTelemetry traces: one trace per query, across the scheduler, the workers (a span per branch
 * attempt) and the verifiers, joined by W3C trace context in NATS message headers and in the
 * engines' HTTP requests, exported over OTLP/HTTP when an endpoint is configured. Without one nothing
 * is registered: the API's tracer is a no-op, no header is written, and tracing costs nothing.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { headers as natsHeaders, type MsgHdrs } from "@nats-io/nats-core";

export { ROOT_CONTEXT, SpanStatusCode, type Context, type Span } from "@opentelemetry/api";

export interface TracingSettings {
  /** Where spans go (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`); undefined: off. */
  endpoint: string | undefined;
  /** How long finished spans wait to be sent together (`OTEL_BSP_SCHEDULE_DELAY`). */
  scheduleDelayMs: number;
}

/** Starts exporting this process's spans, when an endpoint is set. Resolves `shutdown` once the last spans are sent. */
export function startTracing(service: string, instanceId: string, settings: TracingSettings): { shutdown(): Promise<void> } | undefined {
  if (!settings.endpoint) return undefined;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": `ttc-${service}`, "service.instance.id": instanceId }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.endpoint }), { scheduledDelayMillis: settings.scheduleDelayMs }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return { shutdown: () => provider.shutdown() };
}

/** The tracer every ttc span comes from (a no-op until `startTracing` registered a provider). */
export function tracer(): Tracer {
  return trace.getTracer("ttc");
}

/** A context whose parent is `span`. */
export function withSpan(span: Span, parent: Context = context.active()): Context {
  return trace.setSpan(parent, span);
}

/**
 * A span for one engine call made on behalf of several traced requests (a batch): the child of the
 * first request's span, linked to every other one, so each request's trace leads to the call.
 */
export function startBatchSpan(name: string, parents: readonly Context[], attributes: Attributes): Span {
  const links: Link[] = parents.slice(1).flatMap((p) => {
    const spanContext = trace.getSpanContext(p);
    return spanContext ? [{ context: spanContext }] : [];
  });
  return tracer().startSpan(name, { attributes, links }, parents[0] ?? ROOT_CONTEXT);
}

/** `traceparent` (and `tracestate`) of `ctx` as a plain object: engine HTTP headers, gRPC metadata. Empty when tracing is off. */
export function traceCarrier(ctx: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/**
 * NATS headers carrying a trace carrier ({@link traceCarrier}): added to `into`, or to new headers
 * made only when there is something to carry (nothing is, while tracing is off).
 */
export function natsTraceHeaders(carrier: Record<string, string>, into?: MsgHdrs): MsgHdrs | undefined {
  const entries = Object.entries(carrier);
  if (entries.length === 0) return into;
  const h = into ?? natsHeaders();
  for (const [k, v] of entries) h.set(k, v);
  return h;
}

/** The trace context a NATS message carries (the root context when it carries none, or tracing is off). */
export function contextFromNatsHeaders(h: MsgHdrs | undefined): Context {
  return contextFromCarrier((key) => h?.get(key) || undefined);
}

/** The trace context of incoming `traceparent`/`tracestate` values (gRPC metadata, HTTP headers). */
export function contextFromCarrier(get: (key: string) => string | undefined): Context {
  const carrier: Record<string, string> = {};
  for (const key of ["traceparent", "tracestate"]) {
    const value = get(key);
    if (value) carrier[key] = value;
  }
  return Object.keys(carrier).length ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}
