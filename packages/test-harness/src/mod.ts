/**
 * @ttc/test-harness: test fixtures only, never imported by production code. A real nats-server, a
 * whole cluster of real service processes, a real Prometheus, a fake OpenAI-compatible engine, and a
 * GGUF writer with a tiny random-weight llama model.
 */
export { collect, healthStatus, reflectedServices, request, scrape, startTestCluster } from "./cluster.js";
export { until } from "./until.js";
export type { CollectedStream, TestCluster } from "./cluster.js";
export { startJetStreamCluster, startNats } from "./nats.js";
export { createIsolatedHost } from "./network-namespace.js";
export type { IsolatedHost } from "./network-namespace.js";
export { makeTestCertificates } from "./certificates.js";
export type { TestCertificates } from "./certificates.js";
export type { NatsFixture } from "./nats.js";
export { startPrometheus } from "./prometheus.js";
export type { PrometheusFixture } from "./prometheus.js";
export { FakeOpenAI, readTranscript, sseEvents } from "./fake-openai.js";
export type { FakeOpenAIOptions, FakeReply, RecordedRequest } from "./fake-openai.js";
export { arr, bool, encodeGguf, f32, GgmlType, GgufValueType, i32, str, u32, u64, writeGguf } from "./gguf/writer.js";
export type { GgufFile, GgufScalarType, GgufTensor, GgufValue } from "./gguf/writer.js";
export { encodeTinyLlama, tinyLlama, tinyLlamaTokens, tinyLlamaVocabulary, writeTinyLlama } from "./gguf/tiny-llama.js";
export type { TinyLlamaOptions } from "./gguf/tiny-llama.js";
export { startOtlpReceiver } from "./otlp-receiver.js";
export type { OtlpReceiver, ReceivedSpan } from "./otlp-receiver.js";
