import { describe, expect, it } from "vitest";
import { headers } from "@nats-io/nats-core";
import { contextFromNatsHeaders, natsTraceHeaders, ROOT_CONTEXT, traceCarrier, tracer, withSpan } from "../src/tracing.js";
import { z } from "zod";
import { commonEnv, intVar, parseConfig, serviceSettings } from "../src/config.js";

const schema = z.object({ ...commonEnv, TTC_METRICS_PORT: intVar(9100, 0, 65535) });
const settingsOf = (env: Record<string, string>) => serviceSettings(parseConfig(schema, env));

describe("tracing left off", () => {
  it("writes no trace context anywhere: spans are no-ops, messages carry no header", () => {
    const span = tracer().startSpan("ttc.query");
    const ctx = withSpan(span, ROOT_CONTEXT);
    expect(span.isRecording()).toBe(false);
    expect(traceCarrier(ctx)).toEqual({});
    expect(natsTraceHeaders(traceCarrier(ctx))).toBeUndefined();
    const existing = headers();
    existing.set("Nats-Msg-Id", "q-1");
    expect([...natsTraceHeaders(traceCarrier(ctx), existing)!.keys()]).toEqual(["Nats-Msg-Id"]);
    expect(contextFromNatsHeaders(undefined)).toBe(ROOT_CONTEXT);
    span.end();
  });

  it("is off unless an OTLP endpoint is configured; the traces endpoint wins over the base one", () => {
    expect(settingsOf({}).tracing.endpoint).toBeUndefined();
    expect(settingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }).tracing.endpoint).toBe("http://collector:4318/v1/traces");
    expect(
      settingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://b:4318/traces" }).tracing
        .endpoint,
    ).toBe("http://b:4318/traces");
  });
});
